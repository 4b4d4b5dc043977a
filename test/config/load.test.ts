import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, ConfigError, expandEnv, loadConfigFile, MAX_CONFIG_BYTES, MAX_PROBLEMS_SHOWN, parseConfig } from '../../src/config/load.js';

const FIXTURES = 'test/fixtures/config';
const ENV = { RDS_EXPORTER_TEST_KEY_ID: 'LTAI5tTestKeyId', RDS_EXPORTER_TEST_SECRET: 'test-secret-value-123' };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected the configuration to be rejected');
}

describe('config: invalid files are rejected with one exact line per problem', () => {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.startsWith('invalid-'))
    .sort();
  it('has invalid fixtures to check', () => assert.ok(files.length >= 15, `only ${files.length} fixtures`));
  for (const file of files) {
    it(file, () => {
      const text = readFileSync(join(FIXTURES, file), 'utf8');
      const expected = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1]).join('\n');
      assert.ok(expected, `${file} lacks its "# expect:" line`);
      const message = messageOf(() => parseConfig(text, file, ENV));
      assert.equal(message, expected);
      for (const line of message.split('\n')) assert.ok(line.startsWith(`${file}:`), `every line names the file: ${line}`);
    });
  }
});

describe('config: valid files', () => {
  it('applies defaults to a minimal file', () => {
    const config = parseConfig('accounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]', 'x.yml', {});
    assert.deepEqual(config.poll, {
      schedule: '*/60 * * * * *',
      deadline: 54,
      lookups_per_poll: 50,
      timeout_seconds: 10,
      concurrency: 8,
      max_retries: 3,
      retry_base_delay_seconds: 0.5,
      idle_interval: 900,
      backups_interval: 1200,
      backups_lookback: 8 * 86400,
      policy_interval: 3600,
      discovery_interval: 600,
      restore_window_interval: 3600,
      log_backups_interval: 3600,
      log_backups_lookback: 7 * 86400,
      cross_region_interval: 3 * 3600,
      resource_usage_interval: 6 * 3600,
    });
  });

  it('turns a recoverability read off with off or 0, and takes a duration otherwise', () => {
    const config = parseConfig(
      'poll: {restore_window_interval: off, log_backups_interval: 0, cross_region_interval: 2h, resource_usage_interval: "600"}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]',
      'x.yml',
      {},
    );
    assert.equal(config.poll.restore_window_interval, 0);
    assert.equal(config.poll.log_backups_interval, 0);
    assert.equal(config.poll.cross_region_interval, 7200);
    assert.equal(config.poll.resource_usage_interval, 600);
    assert.equal(config.state_file, undefined);
    assert.equal(config.accounts[0]?.requests_per_second, 10);
    assert.equal(config.accounts[0]?.access_key_id, undefined);
  });

  it('reads every field of a full file, expanding ${ENV} and ${ENV:-default}', () => {
    const config = loadConfigFile(join(FIXTURES, 'valid-full.yml'), ENV);
    assert.equal(config.poll.timeout_seconds, 7);
    assert.equal(config.poll.schedule, '*/30 * * * * *');
    const [prod, staging] = config.accounts;
    assert.equal(prod?.access_key_id, 'LTAI5tTestKeyId');
    assert.equal(prod?.access_key_secret, 'test-secret-value-123');
    assert.equal(prod?.requests_per_second, 5);
    assert.equal(prod?.regions[1]?.endpoint, 'https://rds-vpc.eu-central-1.aliyuncs.com');
    assert.deepEqual(prod?.regions[0]?.instances, ['rm-bp1abc', 'rm-bp1def']);
    assert.equal(staging?.access_key_id, undefined);
  });

  it('takes a number from the environment for a numeric field', () => {
    const config = loadConfigFile(join(FIXTURES, 'valid-full.yml'), { ...ENV, RDS_EXPORTER_TEST_TIMEOUT: '12.5' });
    assert.equal(config.poll.timeout_seconds, 12.5);
  });

  it('never quotes a secret in an error message', () => {
    const text = 'accounts:\n  - name: a\n    access_key_id: ${ID}\n    access_key_secret: 12345\n    regions: [{region: cn-hangzhou, instances: [rm-abc]}]\n';
    const message = messageOf(() => parseConfig(text, 'x.yml', { ID: 'LTAI5tSecretishId' }));
    assert.match(message, /access_key_secret: expected string/);
    assert.ok(!message.includes('12345') && !message.includes('LTAI5tSecretishId'), "!message.includes('12345') && !message.includes('LTAI5tSecretishId')");
  });

  it('keeps a secret with YAML-significant characters intact (expansion happens after parsing)', () => {
    const secret = 'ab#c: d\'"{x}';
    const config = parseConfig(
      'accounts:\n  - name: a\n    access_key_id: id12345678\n    access_key_secret: "${S}"\n    regions: [{region: cn-hangzhou, instances: [rm-abc]}]\n',
      'x.yml',
      { S: secret },
    );
    assert.equal(config.accounts[0]?.access_key_secret, secret);
  });

  it('accepts the shipped example and demo files', () => {
    assert.equal(
      loadConfigFile('config/exporter.yml', { ALIBABA_CLOUD_ACCESS_KEY_ID: 'x'.repeat(10), ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'y'.repeat(10) }).accounts.length,
      1,
    );
    assert.equal(loadConfigFile('config/demo.yml', {}).accounts[0]?.regions[0]?.endpoint, undefined);
    assert.equal(loadConfigFile('config/demo.yml', {}).accounts[0]?.endpoint, 'http://127.0.0.1:9878');
  });

  it('names the file when it cannot be read', () => {
    assert.equal(
      messageOf(() => loadConfigFile('no/such/file.yml')),
      'no/such/file.yml: cannot read the configuration file: no such file',
    );
  });
});

describe('config: durations and discovery', () => {
  it('sets poll.deadline to 90 % of the shortest gap between ticks by default, at most 10 minutes', () => {
    const deadlineFor = (schedule: string) =>
      parseConfig(`poll: {schedule: "${schedule}"}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]`, 'x.yml', {}).poll.deadline;
    assert.equal(deadlineFor('*/10 * * * * *'), 9);
    assert.equal(deadlineFor('*/5 * * * *'), 270);
    assert.equal(deadlineFor('0 9-17 * * 1-5'), 600, 'hourly on working days: capped at 10 minutes');
    assert.equal(deadlineFor('0 0 1 1 *'), 600);
  });

  it('takes a poll.deadline up to the shortest gap between ticks, and refuses a longer one', () => {
    const file = (deadline: string) =>
      `poll: {schedule: "*/30 * * * * *", deadline: ${deadline}}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]`;
    assert.equal(parseConfig(file('30s'), 'x.yml', {}).poll.deadline, 30);
    assert.equal(
      messageOf(() => parseConfig(file('31s'), 'x.yml', {})),
      'x.yml:1:46: poll.deadline: expected a duration of at most 30s, the shortest time between two ticks of poll.schedule',
    );
  });

  it('warns, naming the key, its value and the bound, of a timeout_seconds that does not fit in poll.deadline; runs with it', () => {
    const file = (poll: string) => `poll: {${poll}}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]`;
    const warnings = (text: string) => {
      const lines: string[] = [];
      parseConfig(text, 'x.yml', {}, (line) => lines.push(line));
      return lines;
    };
    const expected =
      'x.yml:1:25: poll.timeout_seconds: 60 does not fit in poll.deadline (54s): a request that hangs is cut by the deadline, never by its own time-out, and is not retried within the poll; set it below 54';
    assert.deepEqual(warnings(file('timeout_seconds: 60')), [expected], 'at start and at reload');
    assert.deepEqual(checkConfig(file('timeout_seconds: 60'), 'x.yml', {}).warnings, [expected], 'at --config.check');
    assert.equal(parseConfig(file('timeout_seconds: 60'), 'x.yml', {}).poll.timeout_seconds, 60, 'a warning, not a refusal');
    assert.deepEqual(warnings(file('timeout_seconds: 54')), [expected.replace(': 60 ', ': 54 ')], 'equal to the deadline does not fit either');
    assert.deepEqual(warnings(file('timeout_seconds: 53.5')), []);
    assert.deepEqual(warnings(file('schedule: "* * * * * *"')), [
      'x.yml:1:7: poll.timeout_seconds: 10 does not fit in poll.deadline (900ms): a request that hangs is cut by the deadline, never by its own time-out, and is not retried within the poll; set it below 0.9',
    ]);
    assert.deepEqual(warnings(file('')), [], 'none with the defaults');
  });

  it('takes a shard, index below count, and defaults to the only one', () => {
    const file = (shard: string) => `${shard}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]`;
    assert.deepEqual(parseConfig(file(''), 'x.yml', {}).shard, { count: 1, index: 0 });
    assert.deepEqual(parseConfig(file('shard: {count: 4, index: 3}'), 'x.yml', {}).shard, { count: 4, index: 3 });
    assert.match(
      messageOf(() => parseConfig(file('shard: {count: 4, index: 4}'), 'x.yml', {})),
      /^x\.yml:1:\d+: shard\.index: expected a whole number from 0 to 3 \(below shard\.count\)$/,
    );
  });

  it('reads durations as seconds, in any unit or as a number', () => {
    const config = parseConfig(
      'poll: {backups_interval: 1h30m, backups_lookback: 2w, policy_interval: 3600, discovery_interval: "90s"}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]',
      'x.yml',
      {},
    );
    assert.equal(config.poll.backups_interval, 5400);
    assert.equal(config.poll.backups_lookback, 14 * 86400);
    assert.equal(config.poll.policy_interval, 3600);
    assert.equal(config.poll.discovery_interval, 90);
  });

  it('accepts a region that only discovers, with defaults', () => {
    const config = parseConfig(
      `state_file: ${tmpdir()}/state.json\naccounts: [{name: a, regions: [{region: cn-hangzhou, discovery: {tags: {env: prod}}}]}]`,
      'x.yml',
      {},
    );
    const region = config.accounts[0]!.regions[0]!;
    assert.deepEqual(region.instances, []);
    assert.deepEqual(region.discovery, { tags: { env: 'prod' }, instance_types: ['Primary'] });
    assert.equal(config.state_file, `${tmpdir()}/state.json`);
  });
});

describe('config: expandEnv', () => {
  it('expands, defaults, escapes and reports missing names', () => {
    const missing: string[] = [];
    assert.equal(
      expandEnv('a${X}b${Y:-dflt}c$${Z}', { X: '1' }, (n) => missing.push(n)),
      'a1bdfltc${Z}',
    );
    assert.equal(
      expandEnv('${NOPE}', {}, (n) => missing.push(n)),
      '',
    );
    assert.deepEqual(missing, ['NOPE']);
  });
});

describe('config: hostile and careless files', () => {
  const secret = 'AbcSecret123';

  it('never quotes a value from the file, whatever the YAML error', () => {
    const texts = [
      `accounts:\n  - name: a\n    access_key_id: id\n    access_key_secret: *${secret}\n    regions: [{region: cn-hangzhou, instances: [rm-abc]}]\n`,
      `accounts:\n  - name: a\n    access_key_secret: !${secret} x\n`,
      `accounts:\n  - name: a\n    access_key_secret: "${secret}\\q"\n`,
      `accounts: [{name: a, access_key_secret: ${secret}\n`,
      `accounts:\n  - name: a\n    access_key_secret: ${secret}\n   bad: indent ${secret}\n`,
      `&${secret} a: &${secret} b\n`,
    ];
    for (const text of texts) {
      const message = messageOf(() => parseConfig(text, 'x.yml', {}));
      assert.ok(!message.includes(secret), `the value is quoted: ${message}`);
    }
  });

  it('names a key only when it looks like a name', () => {
    const message = messageOf(() =>
      parseConfig(`accounts:\n  - name: a\n    ${secret} and more: 1\n    regions: [{region: cn-hangzhou, instances: [rm-abc]}]\n`, 'x.yml', {}),
    );
    assert.equal(message, 'x.yml:3:5: accounts[0]: unknown key on this line (not shown: it does not look like a key name)');
  });

  it('names an unknown key only when it is a plausible key name; a secret-like one by its line', () => {
    const at = (key: string) =>
      messageOf(() => parseConfig(`accounts:\n  - name: a\n    ${key}: oops\n    regions: [{region: cn-hangzhou, instances: [rm-abc]}]\n`, 'x.yml', {}));
    assert.equal(at('SuperSecretValue123'), 'x.yml:3:5: accounts[0]: unknown key on this line (not shown: it does not look like a key name)');
    assert.equal(at('LTAI5tQ9xExampleKeyId'), 'x.yml:3:5: accounts[0]: unknown key on this line (not shown: it does not look like a key name)');
    assert.equal(at('a'.repeat(41)), 'x.yml:3:5: accounts[0]: unknown key on this line (not shown: it does not look like a key name)');
    assert.equal(at('access_key_secrte'), 'x.yml:3:5: accounts[0].access_key_secrte: unknown key');
    assert.equal(at('accessKeySecret'), 'x.yml:3:5: accounts[0].accessKeySecret: unknown key');
  });

  it('shows every problem, one per line, capped', () => {
    const regions = Array.from({ length: 30 }, (_, i) => `      - {region: Bad${i}, instances: [rm-abc${i}]}`).join('\n');
    const message = messageOf(() => parseConfig(`accounts:\n  - name: a\n    regions:\n${regions}\n`, 'x.yml', {}));
    const lines = message.split('\n');
    assert.equal(lines.length, MAX_PROBLEMS_SHOWN + 1);
    assert.equal(lines[0], 'x.yml:4:18: accounts[0].regions[0].region: expected a region id such as cn-hangzhou');
    assert.equal(lines[MAX_PROBLEMS_SHOWN], `x.yml: ... and ${30 - MAX_PROBLEMS_SHOWN} more problems`);
  });

  it('accepts an unknown region id when an endpoint is given, and engines in any case', () => {
    const config = parseConfig(
      'accounts: [{name: a, regions: [{region: xx-new-1, endpoint: "https://rds.xx-new-1.example.com", discovery: {engines: [mysql, POSTGRESQL]}}]}]',
      'x.yml',
      {},
    );
    assert.deepEqual(config.accounts[0]?.regions[0]?.discovery?.engines, ['MySQL', 'PostgreSQL']);
  });

  it('refuses a file that is not a regular file, or too large, without reading it all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-config-'));
    assert.equal(
      messageOf(() => loadConfigFile('/dev/zero')),
      '/dev/zero: cannot read the configuration file: not a regular file',
    );
    assert.equal(
      messageOf(() => loadConfigFile(dir)),
      `${dir}: cannot read the configuration file: is a directory`,
    );
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.equal(
      messageOf(() => loadConfigFile(fifo)),
      `${fifo}: cannot read the configuration file: not a regular file`,
    );
    const big = join(dir, 'big.yml');
    writeFileSync(big, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    assert.equal(
      messageOf(() => loadConfigFile(big)),
      `${big}: cannot read the configuration file: larger than ${MAX_CONFIG_BYTES} bytes`,
    );
  });
});

describe('config: cron expressions that cannot mean what they say', () => {
  const scheduleProblem = (schedule: string) => {
    try {
      parseConfig(`poll: {schedule: "${schedule}"}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]`, 'x.yml', {});
      return undefined;
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.message;
    }
  };

  it('refuses a step longer than the values of its field', () => {
    for (const schedule of [
      '*/90 * * * * *',
      '0 */61 * * * *',
      '*/61 * * * *',
      '0 0 */25 * * *',
      '0 0 0 */32 * *',
      '0 0 0 1 */13 *',
      '0 0 0 * * */8',
      '0-10/12 * * * * *',
    ]) {
      assert.match(
        scheduleProblem(schedule) ?? 'accepted',
        /^x\.yml:1:\d+: poll\.schedule: invalid cron expression: the step \/\d+ in the [a-z ]+ field is longer than the \d+ values it steps through/,
        schedule,
      );
    }
  });

  it('takes steps that fit, up to the whole field', () => {
    for (const schedule of ['*/60 * * * * *', '*/30 * * * * *', '0 */60 * * * *', '*/15 * * * *', '0 0 */24 * * *', '0-10/5 * * * *', '0 0 0 * * */7']) {
      assert.equal(scheduleProblem(schedule), undefined, schedule);
    }
  });
});

describe('config: messages name the allowed range or form', () => {
  const FIELDS = [
    'deadline',
    'lookups_per_poll',
    'timeout_seconds',
    'concurrency',
    'max_retries',
    'retry_base_delay_seconds',
    'idle_interval',
    'backups_interval',
    'backups_lookback',
    'policy_interval',
    'discovery_interval',
    'restore_window_interval',
    'log_backups_interval',
    'log_backups_lookback',
    'cross_region_interval',
    'resource_usage_interval',
  ];

  for (const bad of ['-5', '"abc"', '1e9', 'true']) {
    it(`every poll field set to ${bad}: one line each, naming what is allowed`, () => {
      const poll = FIELDS.map((f) => `  ${f}: ${bad}`).join('\n');
      const lines = messageOf(() =>
        parseConfig(`poll:\n${poll}\naccounts: [{name: a, regions: [{region: cn-hangzhou, instances: [rm-abc]}]}]`, 'x.yml', {}),
      ).split('\n');
      assert.deepEqual(
        lines.map((l) => /^x\.yml:\d+:\d+: poll\.([a-z_]+): /.exec(l)?.[1]),
        FIELDS,
      );
      for (const line of lines) {
        assert.match(
          line,
          /: expected (a whole number from \d+ to \d+|a number (above|from) \d+(, at most| to) \d+|a duration such as \w+ or \w+, (from \w+ to \w+|at most \w+)(, or off \(or 0\) to turn the read off)?)$/,
          line,
        );
      }
    });
  }
});
