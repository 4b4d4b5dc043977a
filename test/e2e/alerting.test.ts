// End to end through the real stack, all on loopback: the simulator, the exporter polling every
// second, Debian's prometheus (scrape and evaluation every second, loading the shipped
// prometheus/rules.yml and a copy of prometheus/alerts.yml in which only the `for` durations are
// shortened), prometheus-alertmanager (group_wait 1s) and a webhook receiver. Each incident is
// caused in the simulator (or by stopping the exporter); the test asserts the receiver gets the
// alert for exactly what was broken, and prints how long that took (recorded in docs/alerts.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { startExporter, type Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log.js';
import { DEMO_CREDENTIAL, startSimulator, type Simulator } from '../../simulator/server.js';
import { LogCapture, until } from '../helpers.js';
import { AlertStack, JOB } from './alert-stack.js';

/** Every `for` of the test copy of the alerts; the production values are minutes. */
const TEST_FOR = '2s';
/** A generous bound on each time to notify (the formula in docs/alerts.md gives about 8 s). */
const BOUND_MS = 40_000;

interface Notified {
  at: number;
  status: string;
  labels: Record<string, string>;
}

/** prometheus/alerts.yml with every `for` set to TEST_FOR, nothing else changed. */
export function shortenedAlerts(text: string, forValue = TEST_FOR): string {
  const doc = parse(text) as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
  for (const group of doc.groups) for (const rule of group.rules) if ('for' in rule) rule.for = forValue;
  return stringify(doc, { lineWidth: 0 });
}

describe('alerts through Prometheus and Alertmanager to a webhook', function () {
  this.timeout(110_000);
  const stack = new AlertStack();
  /** every alert of every notification, as received */
  const notified = (): Notified[] => stack.notifications.flatMap((n) => n.alerts.map((a) => ({ at: n.at, status: a.status, labels: a.labels })));
  const timings: Array<[string, number]> = [];
  let sim: Simulator | undefined;
  let exporter: Exporter | undefined;

  const firing = (alertname: string, since: number) => notified().filter((n) => n.status === 'firing' && n.labels.alertname === alertname && n.at >= since);

  /** Waits for the first firing notification of `alertname` after `since`; returns it and records the time taken. */
  async function notification(alertname: string, since: number): Promise<Notified> {
    await until(`a ${alertname} notification`, () => firing(alertname, since).length > 0, BOUND_MS);
    const first = firing(alertname, since).sort((a, b) => a.at - b.at)[0]!;
    const took = first.at - since;
    timings.push([alertname, took]);
    console.log(`      time to notify ${alertname}: ${(took / 1000).toFixed(1)} s`);
    assert.ok(took < BOUND_MS, `${alertname} took ${took} ms`);
    return first;
  }

  before(async function () {
    if (!AlertStack.available()) {
      if (process.env.CI) throw new Error("prometheus and prometheus-alertmanager not found: .ci/run must install Debian's packages");
      this.skip();
    }
    // The simulator on the real clock: two healthy instances with a full backup two hours ago, and
    // log backup files every second since a minute ago (so that a broken log chain shows at once).
    sim = await startSimulator();
    for (const id of ['rm-alert-01', 'rm-alert-02']) {
      sim.world.addInstance(id, { logs: { fileEveryMs: 1000, uploadLagMs: 0, sinceMs: Date.now() - 60_000 } });
      sim.world.addBackupSet(id, { type: 'FullBackup', status: 'Success', endTime: Date.now() - 2 * 3600_000 });
    }
    const config = configSchema.parse({
      poll: { schedule: '* * * * * *', timeout_seconds: 2, max_retries: 0, idle_interval: 0 },
      accounts: [
        {
          name: 'e2e',
          endpoint: sim.url,
          requests_per_second: 1000,
          access_key_id: DEMO_CREDENTIAL.accessKeyId,
          access_key_secret: DEMO_CREDENTIAL.accessKeySecret,
          regions: [{ region: 'cn-hangzhou', instances: ['rm-alert-01', 'rm-alert-02'] }],
        },
      ],
    });
    // Test only, below the schema's 1-minute floor: the log files are read at every (1 s) poll.
    config.poll.log_backups_interval = 1;
    exporter = await startExporter({ config, log: createLogger({ level: 'warn', destination: new LogCapture() }), listen: { host: '127.0.0.1', port: 0 } });

    await stack.start({
      targets: [new URL(exporter.url).host],
      alerts: shortenedAlerts(readFileSync('prometheus/alerts.yml', 'utf8')),
      routing: (url) =>
        stringify({
          route: { receiver: 'hook', group_by: ['...'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
          receivers: [{ name: 'hook', webhook_configs: [{ url: `${url}/hook`, send_resolved: true }] }],
        }),
    });
    await until(
      'both instances watched',
      async () => (await stack.query('account_region_instance_id:alicloud_rds_backup_watched:present')).length === 2,
      10_000,
    );
  });

  after(async () => {
    if (timings.length > 0) console.log(`      times to notify: ${timings.map(([a, ms]) => `${a} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
    await stack.stop();
    await exporter?.close();
    await sim?.close();
  });

  it('tests the shipped alerts: the copy differs from prometheus/alerts.yml only in its for durations', () => {
    const shipped = readFileSync('prometheus/alerts.yml', 'utf8');
    const strip = (text: string) => {
      const doc = parse(text) as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
      const fors = doc.groups.flatMap((g) => g.rules.map((r) => r.for));
      for (const group of doc.groups) for (const rule of group.rules) delete rule.for;
      return { doc, fors };
    };
    const original = strip(shipped);
    const copy = strip(shortenedAlerts(shipped));
    assert.deepEqual(copy.doc, original.doc);
    assert.deepEqual(
      copy.fors,
      original.fors.map((f) => (f === undefined ? undefined : TEST_FOR)),
    );
    assert.ok(original.fors.filter((f) => f !== undefined && f !== TEST_FOR).length >= 8, 'the production for durations are longer');
  });

  it('sends AlicloudRdsBackupFailed for exactly the instance whose backup failed, and nothing before', async () => {
    const job = sim!.world.addJob('rm-alert-01', { status: 'Uploading', process: 40 });
    // the exporter has seen the job running
    await until(
      'the running job in Prometheus',
      async () => (await stack.query(`alicloud_rds_backup_task_progress_ratio{backup_job_id="${job.jobId}"}`)).length === 1,
      10_000,
    );
    assert.deepEqual(
      notified()
        .filter((n) => n.status === 'firing')
        .map((n) => n.labels.alertname),
      [],
      'a healthy fleet sends nothing',
    );
    const failedAt = Date.now();
    sim!.world.finishJob('rm-alert-01', job.jobId, 'Failed');
    const alert = await notification('AlicloudRdsBackupFailed', failedAt);
    assert.deepEqual(
      { instance_id: alert.labels.instance_id, account: alert.labels.account, region: alert.labels.region, severity: alert.labels.severity },
      { instance_id: 'rm-alert-01', account: 'e2e', region: 'cn-hangzhou', severity: 'critical' },
    );
    // a few more evaluations: still nothing about the healthy instance
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(
      notified()
        .filter((n) => n.labels.instance_id === 'rm-alert-02')
        .map((n) => n.labels.alertname),
      [],
    );
    assert.deepEqual([...new Set(firing('AlicloudRdsBackupFailed', 0).map((n) => n.labels.instance_id))], ['rm-alert-01']);
  });

  it('sends AlicloudRdsBackupLogChainGap for exactly the instance and host whose log chain breaks', async () => {
    const host = sim!.world.instance('rm-alert-02')!.logs.hosts[0]!;
    await until(
      'the log chain in Prometheus',
      async () => (await stack.query(`alicloud_rds_backup_log_chain_gaps{instance_id="rm-alert-02"} == 0`)).length === 1,
      10_000,
    );
    assert.deepEqual(firing('AlicloudRdsBackupLogChainGap', 0), [], 'no gap before');
    const brokenAt = Date.now();
    // three seconds of log files never uploaded, on the one host of rm-alert-02
    sim!.world.breakLogChain('rm-alert-02', brokenAt, brokenAt + 3000, host);
    const alert = await notification('AlicloudRdsBackupLogChainGap', brokenAt);
    assert.deepEqual(
      {
        instance_id: alert.labels.instance_id,
        host_instance_id: alert.labels.host_instance_id,
        account: alert.labels.account,
        severity: alert.labels.severity,
      },
      { instance_id: 'rm-alert-02', host_instance_id: host, account: 'e2e', severity: 'warning' },
    );
    assert.deepEqual([...new Set(firing('AlicloudRdsBackupLogChainGap', 0).map((n) => n.labels.instance_id))], ['rm-alert-02'], 'only the broken instance');
    const others = notified().filter(
      (n) =>
        n.status === 'firing' && n.at >= brokenAt && n.labels.alertname !== 'AlicloudRdsBackupLogChainGap' && n.labels.alertname !== 'AlicloudRdsBackupFailed',
    );
    assert.deepEqual(
      others.map((n) => n.labels.alertname),
      [],
      'no other alert about the healthy recoverability of the fleet',
    );
  });

  it('sends AlicloudRdsBackupApiAuthFailing for the account when its key is revoked', async () => {
    const revokedAt = Date.now();
    sim!.inject({ kind: 'InvalidAccessKeyId.NotFound', times: Infinity });
    const alert = await notification('AlicloudRdsBackupApiAuthFailing', revokedAt);
    assert.deepEqual(
      { account: alert.labels.account, code: alert.labels.code, severity: alert.labels.severity },
      { account: 'e2e', code: 'InvalidAccessKeyId.NotFound', severity: 'critical' },
    );
  });

  it('sends AlicloudRdsBackupExporterDown when the exporter stops', async () => {
    const stoppedAt = Date.now();
    await exporter!.close();
    const alert = await notification('AlicloudRdsBackupExporterDown', stoppedAt);
    assert.deepEqual(
      { job: alert.labels.job, instance: alert.labels.instance, severity: alert.labels.severity },
      { job: JOB, instance: new URL(exporter!.url).host, severity: 'critical' },
    );
  });
});
