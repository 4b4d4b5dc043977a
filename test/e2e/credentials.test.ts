// Credentials: the default chain (environment, credentials URI) and STS rotation without a
// restart; and proof that no secret reaches a log line, a metric or an error message.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { startExporter, type Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { computeSignature } from '../../simulator/signature.js';
import { LogCapture, sample } from '../helpers.js';

const CHAIN_VARS = [
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
  'ALIBABA_CLOUD_CREDENTIALS_URI',
  'ALIBABA_CLOUD_ECS_METADATA_DISABLED',
  'ALIBABA_CLOUD_ROLE_ARN',
  'ALIBABA_CLOUD_OIDC_PROVIDER_ARN',
  'ALIBABA_CLOUD_OIDC_TOKEN_FILE',
  'ALIBABA_CLOUD_CREDENTIALS_FILE',
  'ALIBABA_CLOUD_PROFILE',
  'ALIBABA_CLOUD_CLI_PROFILE_DISABLED',
  'HOME',
];

/** Gives the credential chain exactly `vars` (no ECS metadata, an empty HOME); restores afterwards. */
function chainEnv(vars: Record<string, string>): () => void {
  const saved = new Map(CHAIN_VARS.map((k) => [k, process.env[k]]));
  for (const k of CHAIN_VARS) delete process.env[k];
  Object.assign(process.env, { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', HOME: mkdtempSync(join(tmpdir(), 'rds-home-')) }, vars);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

interface AccountSpec {
  name: string;
  keys?: { id: string; secret: string };
  instances: string[];
}

async function exporterFor(sim: Simulator, accounts: AccountSpec[], logs: LogCapture, maxRetries = 1): Promise<Exporter> {
  const config = configSchema.parse({
    poll: { timeout_seconds: 0.3, max_retries: maxRetries, retry_base_delay_seconds: 0.001, idle_interval: 0 },
    accounts: accounts.map((a) => ({
      name: a.name,
      endpoint: sim.url,
      ...(a.keys ? { access_key_id: a.keys.id, access_key_secret: a.keys.secret } : {}),
      regions: [{ region: 'cn-hangzhou', instances: a.instances }],
    })),
  });
  return startExporter({
    config,
    log: createLogger({ level: 'debug', destination: logs }),
    listen: { host: '127.0.0.1', port: 0 },
    schedule: false,
    retryMaxDelayMs: 5,
  });
}

async function everythingShown(exporter: Exporter): Promise<string> {
  const parts = await Promise.all(['/metrics', '/', '/status', '/-/ready', '/-/healthy'].map(async (path) => (await fetch(`${exporter.url}${path}`)).text()));
  parts.push(await (await fetch(`${exporter.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).text());
  return parts.join('\n');
}

describe('credentials', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let exporter: Exporter | undefined;
  let restoreEnv: (() => void) | undefined;

  afterEach(async () => {
    await exporter?.close();
    exporter = undefined;
    restoreEnv?.();
    restoreEnv = undefined;
    await sim?.close();
  });

  it('uses the default chain (credentials URI) and follows an STS rotation without a restart', async () => {
    // Credentials with under 15 minutes to live are fetched again on every request.
    sim = await startSimulator({ stsTtlSeconds: 600 });
    sim.world.addInstance('rm-sts-01');
    restoreEnv = chainEnv({ ALIBABA_CLOUD_CREDENTIALS_URI: sim.credentialsUri });
    const logs = new LogCapture();
    exporter = await exporterFor(sim, [{ name: 'chain', instances: ['rm-sts-01'] }], logs);
    const first = sim.sts.current();
    await exporter.poller.tick();
    const rotated = sim.sts.rotate();
    assert.notEqual(rotated.accessKeyId, first.accessKeyId);
    await exporter.poller.tick();
    const used = sim.requests.filter((r) => r.action === 'DescribeBackupTasks').map((r) => [r.params.AccessKeyId, r.params.SecurityToken]);
    assert.deepEqual(used, [
      [first.accessKeyId, first.securityToken],
      [rotated.accessKeyId, rotated.securityToken],
    ]);
    const text = await (await fetch(`${exporter.url}/metrics`)).text();
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-sts-01' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: 'DescribeBackupTasks', code: 'OK' }), 2);
  });

  it('reports CredentialsUnavailable when the chain finds nothing, and recovers when credentials appear', async () => {
    sim = await startSimulator();
    sim.world.addInstance('rm-none-01');
    restoreEnv = chainEnv({});
    const logs = new LogCapture();
    exporter = await exporterFor(sim, [{ name: 'nokeys', instances: ['rm-none-01'] }], logs);
    await exporter.poller.tick();
    let text = await (await fetch(`${exporter.url}/metrics`)).text();
    assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: 'DescribeBackupTasks', code: 'CredentialsUnavailable' }), 1, 'not retried');
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-none-01' }), 0);
    assert.equal(sim.requests.length, 0, 'nothing was sent');
    const warn = logs.records().find((r) => r.level === 'warn');
    assert.equal(warn?.code, 'CredentialsUnavailable');
    assert.doesNotMatch(String(warn?.msg), /environment variables|enviroment/, 'the chain’s own messages are not repeated');

    const sts = sim.sts.current();
    Object.assign(process.env, {
      ALIBABA_CLOUD_ACCESS_KEY_ID: sts.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: sts.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: sts.securityToken,
    });
    await exporter.poller.tick();
    text = await (await fetch(`${exporter.url}/metrics`)).text();
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-none-01' }), 1, 'picked up without a restart');
  });

  describe('no secret is ever shown', () => {
    it('in logs, metrics, pages or error messages, through every kind of failure', async () => {
      const good = { accessKeyId: 'LTAI5tSecretsGoodKey0001', accessKeySecret: 'GoodSecret-0123456789abcdef' };
      const wrongSecret = 'WrongSecret-fedcba9876543210';
      sim = await startSimulator({ credentials: [good] });
      for (const id of ['rm-sec-01', 'rm-sec-02', 'rm-sec-03']) sim.world.addInstance(id);
      sim.world.addJob('rm-sec-01', { status: 'Uploading', process: 10 });
      const sts = sim.sts.current();
      // The chain account signs with the simulator's STS key but a wrong secret, so the real
      // signature check answers SignatureDoesNotMatch quoting its string-to-sign, which holds
      // the AccessKeyId and the SecurityToken.
      const chainWrongSecret = 'StsWrongSecret-00112233445566';
      restoreEnv = chainEnv({
        ALIBABA_CLOUD_ACCESS_KEY_ID: sts.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: chainWrongSecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: sts.securityToken,
      });
      const logs = new LogCapture();
      exporter = await exporterFor(
        sim,
        [
          { name: 'good', keys: { id: good.accessKeyId, secret: good.accessKeySecret }, instances: ['rm-sec-01'] },
          { name: 'wrong', keys: { id: good.accessKeyId, secret: wrongSecret }, instances: ['rm-sec-02'] },
          { name: 'chain', instances: ['rm-sec-03'] },
        ],
        logs,
      );

      await exporter.poller.tick();
      for (const kind of [
        'Throttling',
        'html502',
        'reset',
        'hang',
        'Forbidden.RAM',
        'InvalidAccessKeyId.NotFound',
        'SignatureDoesNotMatch',
        'http500-no-code',
        'empty',
      ] as const) {
        sim.inject({ kind, instanceId: 'rm-sec-01', times: 2 });
        await exporter.poller.tick();
      }
      sim.clearFaults(); // what non-retried kinds left unused
      sim.world.finishJob('rm-sec-01', sim.world.listedJobs('rm-sec-01')[0]?.jobId ?? '', 'Failed');
      await exporter.poller.tick();
      await exporter.poller.tick();

      const shown = `${logs.text}\n${await everythingShown(exporter)}`;
      // The scenario really went through the failures it claims to.
      assert.match(shown, /SignatureDoesNotMatch/, 'a signature mismatch happened');
      assert.ok(
        sim.requests.some((r) => r.code === 'SignatureDoesNotMatch' && r.params.SecurityToken === sts.securityToken),
        'the STS mismatch was answered by the real check',
      );
      assert.match(shown, /code="Timeout"/, 'a time-out happened');
      assert.match(shown, /backup job failed/, 'the job failure was logged');

      const forbidden = new Map<string, string>([
        ['good secret', good.accessKeySecret],
        ['wrong secret', wrongSecret],
        ['STS secret', sts.accessKeySecret],
        ['chain wrong secret', chainWrongSecret],
        ['STS token', sts.securityToken],
        ['STS token, encoded', encodeURIComponent(sts.securityToken)],
        ['static key id', good.accessKeyId],
        ['STS key id', sts.accessKeyId],
      ]);
      // Every signature the exporter sent, recomputed from what the simulator received.
      const secretFor = (id: string | undefined, account: string) =>
        id === sts.accessKeyId ? chainWrongSecret : account === 'wrong' ? wrongSecret : good.accessKeySecret;
      sim.requests.forEach((r, i) => {
        const account = r.instanceId === 'rm-sec-02' ? 'wrong' : 'other';
        forbidden.set(`signature #${i}`, computeSignature(r.method, r.params, secretFor(r.params.AccessKeyId, account)));
      });
      for (const [what, value] of forbidden) assert.ok(!shown.includes(value), `${what} appears in the output`);
      assert.doesNotMatch(shown, /Signature=|SecurityToken=|AccessKeyId=|string to sign/i, 'no request parameters quoted');
      assert.ok(logs.lines.length > 10, `logs were captured (${logs.lines.length} lines)`);
    });
  });
});
