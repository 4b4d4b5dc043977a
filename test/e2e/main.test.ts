// The built daemon (dist/main.js) as an operator runs it: flags, exit codes, config errors,
// logs, signals. `npm test` builds dist/ first.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEMO_CREDENTIAL, startSimulator, type Simulator } from '../../simulator/server.js';
import { freePort, until } from '../helpers.js';

const MAIN = 'dist/main.js';

before(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does)`);
});

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 15_000, env: { PATH: process.env.PATH, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rds-exporter-'));
  const file = join(dir, 'exporter.yml');
  writeFileSync(file, text);
  return file;
}

function simConfig(sim: Simulator, extra = ''): string {
  return tempConfig(`poll:
  schedule: "*/1 * * * * *"
  timeout_seconds: 0.8   # below the 0.9 s deadline (the exporter warns of a longer one)
  max_retries: 0
${extra}accounts:
  - name: main-test
    # a poll every second: its first poll's reads (about 8 calls) must fit in 0.9 s, paced
    requests_per_second: 100
    access_key_id: ${DEMO_CREDENTIAL.accessKeyId}
    access_key_secret: ${DEMO_CREDENTIAL.accessKeySecret}
    endpoint: ${sim.url}
    regions:
      - region: cn-hangzhou
        instances: [rm-main-01]
`);
}

interface Daemon {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d: Buffer) => stdout.push(...d.toString('utf8').split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => stderr.push(...d.toString('utf8').split('\n').filter(Boolean)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { child, stdout, stderr, exit };
}

function listeningPort(d: Daemon): number | undefined {
  for (const line of d.stdout) {
    const m = /"address":"127\.0\.0\.1:(\d+)"/.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}

describe('dist/main.js', function () {
  this.timeout(30_000);

  describe('flags and configuration errors', () => {
    it('--config.check accepts a good file and says what it watches', () => {
      const r = run(['--config.check', '--config.file=config/demo.yml']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(
        r.stdout,
        [
          'config/demo.yml: OK (1 account, 2 regions, 3 instances (+ discovery in 1 region), schedule "*/5 * * * * *")\n',
          'config/demo.yml: poll.schedule "*/5 * * * * *" runs every 5s, poll.deadline 4.5s\n',
        ].join(''),
      );
    });

    it('--config.check prints the period a schedule really has, irregular ones too', () => {
      const file = tempConfig('poll:\n  schedule: "*/45 * * * * *"\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]\n');
      const r = run(['--config.check', `--config.file=${file}`]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /: poll\.schedule "\*\/45 \* \* \* \* \*" runs every 15s to 45s, poll\.deadline 13\.5s$/m);
    });

    it('--config.check warns of a timeout_seconds that does not fit in poll.deadline, and passes; the daemon logs it at start', async () => {
      const file = tempConfig('poll:\n  timeout_seconds: 60\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]\n');
      const line = `${file}:2:20: poll.timeout_seconds: 60 does not fit in poll.deadline (54s): a request that hangs is cut by the deadline, never by its own time-out, and is not retried within the poll; set it below 54`;
      const check = run(['--config.check', `--config.file=${file}`]);
      assert.equal(check.status, 0, check.stderr);
      assert.equal(check.stderr, `alicloud-rds-backup-exporter: warning: ${line}\n`);
      const d = startDaemon([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0'], { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' });
      try {
        await until('listening', () => listeningPort(d) !== undefined, 10_000);
        const warned = d.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === `configuration warning: ${line}`);
        assert.equal(warned.length, 1, d.stdout.join('\n'));
        assert.equal(warned[0]!.level, 'warn');
      } finally {
        d.child.kill('SIGTERM');
        await d.exit;
      }
    });

    it('--config.check warns of an unset environment variable the file names, and passes; starting fails on it', () => {
      const file = tempConfig(
        [
          'accounts:',
          '  - name: prod',
          '    access_key_id: ${RDS_CHECK_TEST_ID}',
          '    access_key_secret: ${RDS_CHECK_TEST_SECRET}',
          '    regions: [{region: cn-hangzhou, instances: [rm-abc]}]',
          '',
        ].join('\n'),
      );
      const check = run(['--config.check', `--config.file=${file}`], { RDS_CHECK_TEST_ID: 'LTAI5tCheckTestId' });
      assert.equal(check.status, 0, check.stderr);
      assert.equal(
        check.stderr,
        `alicloud-rds-backup-exporter: warning: ${file}:4:24: accounts[0].access_key_secret: environment variable RDS_CHECK_TEST_SECRET is not set (the exporter needs it when it runs)\n`,
      );
      assert.match(check.stdout, new RegExp(`^${file}: OK \\(1 account, 1 region, 1 instance, `));
      const start = run([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0'], { RDS_CHECK_TEST_ID: 'LTAI5tCheckTestId' });
      assert.equal(start.status, 2);
      assert.equal(
        start.stderr,
        `alicloud-rds-backup-exporter: ${file}:4:24: accounts[0].access_key_secret: environment variable RDS_CHECK_TEST_SECRET is not set\n`,
      );
      for (const out of [check.stderr, check.stdout, start.stderr]) {
        assert.doesNotMatch(out, /:-/, 'never a hint to give a secret a default value');
        assert.doesNotMatch(out, /LTAI5tCheckTestId/);
      }
    });

    it('--config.check passes when an unset variable leaves a value that cannot be checked, and says so', () => {
      const file = tempConfig(
        'accounts:\n  - name: prod\n    endpoint: ${RDS_CHECK_TEST_ENDPOINT}\n    regions: [{region: cn-hangzhou, instances: [rm-abc]}]\n',
      );
      const check = run(['--config.check', `--config.file=${file}`]);
      assert.equal(check.status, 0, check.stderr);
      assert.match(check.stderr, /warning: .*:3:15: accounts\[0\]\.endpoint: environment variable RDS_CHECK_TEST_ENDPOINT is not set/);
      assert.equal(check.stdout, `${file}: OK, except the values of the unset environment variables, which are checked when the exporter starts\n`);
    });

    it("the README's steps 2 and 3 work exactly as pasted (the check runs without the secrets)", () => {
      const readme = readFileSync('README.md', 'utf8');
      const steps = readme.split('## Run it against your account')[1]!.split('\n## ')[0]!;
      const yaml = /2\. Write a configuration file[\s\S]*?```yaml\n([\s\S]*?)```/.exec(steps)?.[1]?.replace(/^ {3}/gm, '');
      const sh = /3\. [\s\S]*?```sh\n([\s\S]*?)```/.exec(steps)?.[1]?.replace(/^ {3}/gm, '');
      assert.ok(yaml && sh, "the README's steps 2 and 3 each have their block");
      const check = sh.split('\n').find((line) => line.includes('--config.check'));
      assert.equal(check, 'node dist/main.js --config.check --config.file=exporter.yml');
      // A directory like the user's checkout: the built dist/ and the file of step 2.
      const dir = mkdtempSync(join(tmpdir(), 'rds-readme-'));
      symlinkSync(join(process.cwd(), 'dist'), join(dir, 'dist'));
      symlinkSync(join(process.cwd(), 'package.json'), join(dir, 'package.json'));
      writeFileSync(join(dir, 'exporter.yml'), yaml);
      const r = spawnSync('sh', ['-c', check], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 15_000,
        env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^exporter\.yml: OK \(1 account, 1 region, 2 instances, schedule "\*\/60 \* \* \* \* \*"\)$/m);
      assert.equal(
        r.stderr,
        ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']
          .map(
            (name, i) =>
              `alicloud-rds-backup-exporter: warning: exporter.yml:${3 + i}:${name.endsWith('ID') ? 20 : 24}: accounts[0].${name.endsWith('ID') ? 'access_key_id' : 'access_key_secret'}: environment variable ${name} is not set (the exporter needs it when it runs)\n`,
          )
          .join(''),
      );
      // Step 3 then starts it with both variables set.
      for (const name of ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'])
        assert.match(sh, new RegExp(`${name}=\\.\\.\\.`), `step 3 sets ${name}`);
    });

    it('--shard.count and --shard.index win over the file, and show in --config.check', () => {
      const r = run(['--config.check', '--config.file=config/demo.yml', '--shard.count=3', '--shard.index=2']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /schedule "\*\/5 \* \* \* \* \*", shard 2 of 3\)$/m);
      const bad = run(['--config.check', '--config.file=config/demo.yml', '--shard.index=1']);
      assert.equal(bad.status, 2);
      assert.equal(bad.stderr, 'alicloud-rds-backup-exporter: --shard.index needs --shard.count\n');
    });

    it('--config.check rejects a bad file with exit 2 and one line naming file and key path', () => {
      const file = 'test/fixtures/config/invalid-unknown-key.yml';
      const r = run(['--config.check', `--config.file=${file}`]);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        [
          `alicloud-rds-backup-exporter: ${file}:6:9: accounts[0].regions[0].instances: list at least one instance, or add a discovery block\n`,
          `alicloud-rds-backup-exporter: ${file}:7:9: accounts[0].regions[0].instancez: unknown key\n`,
        ].join(''),
      );
    });

    for (const fixture of ['invalid-alias-secret.yml', 'invalid-billion-laughs.yml']) {
      it(`--config.check rejects ${fixture} with exit 2 and one line that quotes nothing from the file`, () => {
        const file = `test/fixtures/config/${fixture}`;
        const r = run(['--config.check', `--config.file=${file}`]);
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
        assert.ok(r.stderr.startsWith(`alicloud-rds-backup-exporter: ${file}`), r.stderr);
        assert.doesNotMatch(r.stderr, /AbcSecret123|lol/);
      });
    }

    it('refuses to start on a bad config, with no stack trace', () => {
      const file = tempConfig('poll:\n  schedule: "*/61 * * *"\naccounts: []\n');
      const r = run([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
      assert.equal(r.status, 2);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 2, `one line per problem: ${r.stderr}`);
      assert.match(r.stderr, /poll\.schedule: invalid cron expression: expected 5 or 6 fields/);
      assert.match(r.stderr, /accounts: list at least one account/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });

    it('--web.config.file: checked with --config.check, a bad one is exit 2 with one line per problem and no value', () => {
      const good = tempConfig('http_server_config:\n  headers: {X-Frame-Options: deny}\n');
      const ok = run(['--config.check', '--config.file=config/demo.yml', `--web.config.file=${good}`]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`^${good}: OK$`, 'm'));
      const bad = tempConfig('basic_auth_users:\n  alice: plain-password-value\n');
      const r = run(['--config.check', '--config.file=config/demo.yml', `--web.config.file=${bad}`]);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `alicloud-rds-backup-exporter: ${bad}:2:10: basic_auth_users.alice: expected a bcrypt hash such as $2y$10$...\n`);
    });

    it('names a missing config file', () => {
      const r = run(['--config.file=/nonexistent/exporter.yml']);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, 'alicloud-rds-backup-exporter: /nonexistent/exporter.yml: cannot read the configuration file: no such file\n');
    });

    for (const [args, pattern] of [
      [['--no-such-flag'], /Unknown option '--no-such-flag'/],
      [['--web.listen-address=9877'], /--web\.listen-address: expected HOST:PORT or :PORT, got "9877"/],
      [['--log.level=verbose'], /--log\.level: expected one of debug, info, warn, error, got "verbose"/],
      [['--log.format=xml'], /--log\.format: expected one of json, logfmt, pretty, got "xml"/],
      [['--web.telemetry-path=metrics'], /--web\.telemetry-path: expected a path such as \/metrics/],
    ] as const) {
      it(`exits 2 on ${args.join(' ')}`, () => {
        const r = run([...args, '--config.file=config/demo.yml']);
        assert.equal(r.status, 2);
        assert.match(r.stderr, pattern);
        assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, 'one line');
      });
    }

    it('--help and --version', () => {
      const help = run(['--help']);
      assert.equal(help.status, 0);
      for (const flag of ['--config.file', '--config.check', '--web.listen-address', '--web.telemetry-path', '--log.level', '--log.format'])
        assert.ok(help.stdout.includes(flag), flag);
      const version = run(['--version']);
      assert.match(version.stdout, /^alicloud-rds-backup-exporter \d+\.\d+\.\d+ \(node v\d+/);
    });
  });

  describe('running', () => {
    let sim: Simulator;
    beforeEach(async () => {
      sim = await startSimulator();
      sim.world.addInstance('rm-main-01');
      sim.world.addJob('rm-main-01', { status: 'Uploading', process: 50 });
    });
    afterEach(async () => sim.close());

    it('serves metrics, logs JSON lines, and exits 0 on SIGTERM even with a request hanging', async () => {
      const d = startDaemon([`--config.file=${simConfig(sim)}`, '--web.listen-address=127.0.0.1:0']);
      await until('listening', () => listeningPort(d) !== undefined, 10_000);
      const url = `http://127.0.0.1:${listeningPort(d)}`;
      await until('ready', async () => (await fetch(`${url}/-/ready`)).status === 200, 10_000);
      const text = await (await fetch(`${url}/metrics`)).text();
      assert.match(text, /^alicloud_rds_backup_tasks\{account="main-test",region="cn-hangzhou",instance_id="rm-main-01",status="Uploading"\} 1$/m);

      // Every further request hangs: the next cycle is stuck in flight when the signal comes.
      sim.inject({ kind: 'hang', times: Infinity });
      const before = sim.requests.length;
      await until('a hanging request', () => sim.requests.length > before, 5000);
      const sent = performance.now();
      d.child.kill('SIGTERM');
      const exit = await d.exit;
      assert.equal(exit.code, 0, d.stderr.join('\n'));
      assert.ok(exit.at - sent < 10_000, `exited ${Math.round(exit.at - sent)} ms after SIGTERM`);
      const records = d.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(
        records.some((r) => r.msg === 'shutting down' && r.signal === 'SIGTERM'),
        'logs the signal',
      );
      assert.equal(records.at(-1)?.msg, 'stopped');
      assert.deepEqual(d.stderr, []);
    });

    it('listens on every --web.listen-address given, and says so once per address', async () => {
      const ports = [await freePort(), await freePort()];
      const d = startDaemon([`--config.file=${simConfig(sim)}`, ...ports.map((p) => `--web.listen-address=127.0.0.1:${p}`)]);
      await until('listening twice', () => d.stdout.filter((l) => l.includes('"msg":"listening"')).length === 2, 10_000);
      for (const port of ports) assert.equal(await (await fetch(`http://127.0.0.1:${port}/-/healthy`)).text(), 'Healthy.\n', `port ${port}`);
      const listening = d.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'listening');
      assert.deepEqual(
        listening.map((r) => [r.address, r.tls, r.auth]),
        ports.map((p) => [`127.0.0.1:${p}`, 'disabled', 'none']),
      );
      d.child.kill('SIGTERM');
      assert.equal((await d.exit).code, 0);
    });

    it('--web.disable-exporter-metrics drops the process_*, nodejs_* and promhttp_* metrics, and nothing else', async () => {
      const file = simConfig(sim);
      const plain = startDaemon([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
      const bare = startDaemon([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--web.disable-exporter-metrics']);
      await until('listening', () => listeningPort(plain) !== undefined && listeningPort(bare) !== undefined, 10_000);
      const families = async (d: Daemon) => {
        const text = await (await fetch(`http://127.0.0.1:${listeningPort(d)}/metrics`)).text();
        return new Set([...text.matchAll(/^# TYPE ([a-z_]+) /gm)].map((m) => m[1]!));
      };
      const all = await families(plain);
      const kept = await families(bare);
      const dropped = [...all].filter((name) => !kept.has(name));
      for (const prefix of ['process_', 'nodejs_', 'promhttp_'])
        assert.ok(
          dropped.some((n) => n.startsWith(prefix)),
          `${prefix}* served without the flag`,
        );
      assert.deepEqual(
        dropped.filter((n) => !/^(process|nodejs|promhttp)_/.test(n)),
        [],
        'only those are dropped',
      );
      assert.deepEqual(
        [...kept].filter((n) => !all.has(n)),
        [],
        'nothing added',
      );
      assert.ok(kept.has('alicloud_rds_backup_exporter_build_info'), 'build_info stays');
      // One scrape was answered 200 before this one, which is in flight while it renders.
      const second = await (await fetch(`http://127.0.0.1:${listeningPort(plain)}/metrics`)).text();
      assert.match(second, /^promhttp_metric_handler_requests_total\{code="200"\} 1$/m);
      assert.match(second, /^promhttp_metric_handler_requests_in_flight 1$/m);
      assert.match(second, /^promhttp_metric_handler_request_duration_seconds_count 1$/m);
      for (const d of [plain, bare]) d.child.kill('SIGTERM');
      for (const d of [plain, bare]) assert.equal((await d.exit).code, 0);
    });

    it('reloads its configuration on SIGHUP, and keeps the running one when the new file is bad', async () => {
      sim.world.addInstance('rm-main-02');
      const file = simConfig(sim);
      const d = startDaemon([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
      await until('listening', () => listeningPort(d) !== undefined, 10_000);
      const url = `http://127.0.0.1:${listeningPort(d)}`;
      const metrics = async () => (await fetch(`${url}/metrics`)).text();
      await until('ready', async () => (await fetch(`${url}/-/ready`)).status === 200, 10_000);

      writeFileSync(file, readFileSync(file, 'utf8').replace('instances: [rm-main-01]', 'instances: [rm-main-01, rm-main-02]'));
      d.child.kill('SIGHUP');
      await until('rm-main-02 polled', async () => /instance_id="rm-main-02"/.test(await metrics()), 10_000);

      writeFileSync(file, 'accounts: [oops');
      d.child.kill('SIGHUP');
      await until('the failed reload', async () => /^alicloud_rds_backup_config_last_reload_successful 0$/m.test(await metrics()), 10_000);
      assert.match(await metrics(), /instance_id="rm-main-02"/, 'still running the last good configuration');
      const records = d.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(
        records.some((r) => r.msg === 'configuration reloaded'),
        'the good reload was logged',
      );
      const failure = records.find((r) => r.level === 'error');
      assert.match(String(failure?.msg), /^configuration reload failed, keeping the running configuration: .*exporter\.yml:1:\d+: invalid YAML/);

      // An unquoted value starting with * is a YAML alias: reported, never quoted.
      writeFileSync(file, readFileSync('test/fixtures/config/invalid-alias-secret.yml', 'utf8'));
      d.child.kill('SIGHUP');
      await until('the second failed reload', () => d.stdout.filter((l) => l.includes('"level":"error"')).length === 2, 10_000);
      assert.equal(d.child.exitCode, null, 'still running');
      assert.doesNotMatch(d.stdout.join('\n'), /AbcSecret123/);
      d.child.kill('SIGTERM');
      assert.equal((await d.exit).code, 0);
    });

    it('reloads on POST /-/reload with --web.enable-lifecycle, and refuses it without', async () => {
      sim.world.addInstance('rm-main-02');
      const file = simConfig(sim);
      const on = startDaemon([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--web.enable-lifecycle']);
      const off = startDaemon([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
      await until('listening', () => listeningPort(on) !== undefined && listeningPort(off) !== undefined, 10_000);
      const urlOn = `http://127.0.0.1:${listeningPort(on)}`;
      const urlOff = `http://127.0.0.1:${listeningPort(off)}`;
      assert.equal((await fetch(`${urlOff}/-/reload`, { method: 'POST' })).status, 403);
      assert.equal((await fetch(`${urlOn}/-/reload`)).status, 405, 'not by GET');

      writeFileSync(file, readFileSync(file, 'utf8').replace('instances: [rm-main-01]', 'instances: [rm-main-01, rm-main-02]'));
      const ok = await fetch(`${urlOn}/-/reload`, { method: 'POST' });
      assert.equal(ok.status, 200, await ok.text());
      await until('rm-main-02 polled', async () => /instance_id="rm-main-02"/.test(await (await fetch(`${urlOn}/metrics`)).text()), 10_000);

      writeFileSync(file, readFileSync(file, 'utf8').replace('max_retries: 0', 'max_retries: many'));
      const bad = await fetch(`${urlOn}/-/reload`, { method: 'PUT' });
      assert.equal(bad.status, 500);
      assert.match(
        await bad.text(),
        /^Reload failed, the running configuration is kept: .*exporter\.yml:4:16: poll\.max_retries: expected a whole number from 0 to 10\n$/,
      );
      writeFileSync(file, readFileSync('test/fixtures/config/invalid-alias-secret.yml', 'utf8'));
      const alias = await fetch(`${urlOn}/-/reload`, { method: 'POST' });
      assert.equal(alias.status, 500);
      const aliasText = await alias.text();
      assert.match(aliasText, /accounts\[0\]\.access_key_secret: invalid YAML: an alias/);
      assert.doesNotMatch(aliasText, /AbcSecret123/);
      for (const d of [on, off]) d.child.kill('SIGTERM');
      assert.equal((await on.exit).code, 0);
      assert.equal((await off.exit).code, 0);
    });

    it('exits 0 on SIGINT when idle, promptly', async () => {
      const d = startDaemon([`--config.file=${simConfig(sim)}`, '--web.listen-address=127.0.0.1:0', '--log.level=warn']);
      await until('first poll', () => sim.requests.length > 0, 10_000);
      await new Promise((r) => setTimeout(r, 200));
      const sent = performance.now();
      d.child.kill('SIGINT');
      const exit = await d.exit;
      assert.equal(exit.code, 0);
      assert.ok(exit.at - sent < 3000, `exited ${Math.round(exit.at - sent)} ms after SIGINT`);
      assert.deepEqual(d.stdout, [], 'nothing below warn was logged');
    });

    it('--log.format=pretty writes human lines', async () => {
      const d = startDaemon([`--config.file=${simConfig(sim)}`, '--web.listen-address=127.0.0.1:0', '--log.format=pretty']);
      await until('listening line', () => d.stdout.some((l) => l.includes('listening')), 10_000);
      d.child.kill('SIGTERM');
      await d.exit;
      assert.ok(
        d.stdout.every((l) => !l.startsWith('{')),
        'not JSON',
      );
      assert.ok(
        d.stdout.some((l) => /INFO.*listening/.test(l)),
        d.stdout.join('\n'),
      );
    });

    it('--log.format=logfmt writes key=value lines, debug ones for each API call and poll', async () => {
      const d = startDaemon([`--config.file=${simConfig(sim)}`, '--web.listen-address=127.0.0.1:0', '--log.format=logfmt', '--log.level=debug']);
      await until('a poll ended', () => d.stdout.some((l) => l.includes('msg="poll ended"')), 10_000);
      d.child.kill('SIGTERM');
      await d.exit;
      assert.ok(
        d.stdout.every((l) => /^ts=\S+ level=(debug|info|warn|error) msg=/.test(l)),
        d.stdout.join('\n'),
      );
      const call = d.stdout.find((l) => l.includes('msg="API call"') && l.includes('action=DescribeBackupTasks'));
      assert.match(call ?? '', /instance_id=\S+ action=DescribeBackupTasks code=OK duration_seconds=[\d.e-]+ retry=0/);
      assert.match(d.stdout.find((l) => l.includes('msg="poll ended"')) ?? '', / success=true /);
    });

    it('exits 1 with a clear line when the port is taken', async () => {
      const first = startDaemon([`--config.file=${simConfig(sim)}`, '--web.listen-address=127.0.0.1:0', '--log.level=info']);
      await until('listening', () => listeningPort(first) !== undefined, 10_000);
      const r = run([`--config.file=${simConfig(sim)}`, `--web.listen-address=127.0.0.1:${listeningPort(first)}`]);
      first.child.kill('SIGTERM');
      await first.exit;
      assert.equal(r.status, 1);
      assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+: address already in use/);
    });

    it('names the taken one of several addresses, and exits 1', async () => {
      const first = startDaemon([`--config.file=${simConfig(sim)}`, '--web.listen-address=127.0.0.1:0', '--log.level=info']);
      await until('listening', () => listeningPort(first) !== undefined, 10_000);
      const free = await freePort();
      const r = run([`--config.file=${simConfig(sim)}`, `--web.listen-address=127.0.0.1:${free}`, `--web.listen-address=127.0.0.1:${listeningPort(first)}`]);
      first.child.kill('SIGTERM');
      await first.exit;
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `alicloud-rds-backup-exporter: cannot listen on 127.0.0.1:${listeningPort(first)}: address already in use\n`);
    });
  });
});
