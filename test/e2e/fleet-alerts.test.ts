// The shipped alerts and routing, end to end on real fleets: the simulator, the exporter, Debian's
// prometheus and prometheus-alertmanager with prometheus/alertmanager.yml, and a webhook. Time is
// compressed 60-fold: Prometheus scrapes and evaluates every second where production does every
// minute, so every `for`, `keep_firing_for` and Alertmanager wait is divided by 60 (15m → 15s),
// which keeps their order — what the on-call sees, in seconds instead of minutes.
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { startExporter, type Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log.js';
import { DEMO_CREDENTIAL, startSimulator, type SimCredential, type Simulator } from '../../simulator/server.js';
import { LogCapture, until } from '../helpers.js';
import { AlertStack } from './alert-stack.js';

const H = 3600_000;
/** A failed backup reaches the webhook within this (docs/alerts.md: the bound, compressed 60-fold, with a margin). */
const FAILED_BOUND_MS = 30_000;

/** A key granted only what backups need: the README's minimal RAM policy. */
const MINIMAL: SimCredential = {
  accessKeyId: 'LTAI5tMinimalKey00000000',
  accessKeySecret: 'minimal-secret-not-a-real-key',
  allowedActions: ['DescribeBackupTasks', 'DescribeBackups', 'DescribeBackupPolicy', 'DescribeDBInstances'],
};

interface Fleet {
  sim: Simulator;
  exporter: Exporter;
  stack: AlertStack;
  port: number;
}

async function startFleet(
  ids: string[],
  credential: SimCredential,
  poll: Record<string, unknown> = {},
  collectors: Record<string, boolean> = {},
): Promise<Fleet> {
  const sim = await startSimulator({ credentials: [DEMO_CREDENTIAL, MINIMAL] });
  for (const id of ids) {
    sim.world.addInstance(id);
    sim.world.addBackupSet(id, { type: 'FullBackup', status: 'Success', endTime: Date.now() - 2 * H });
  }
  const exporter = await exporterFor(sim, ids, credential, 0, poll, collectors);
  const port = Number(new URL(exporter.url).port);
  const stack = new AlertStack();
  await stack.start({ targets: [`127.0.0.1:${port}`], scale: 60 });
  return { sim, exporter, stack, port };
}

async function exporterFor(
  sim: Simulator,
  ids: string[],
  credential: SimCredential,
  port: number,
  poll: Record<string, unknown>,
  collectors: Record<string, boolean> = {},
): Promise<Exporter> {
  const config = configSchema.parse({
    collectors,
    poll: { schedule: '* * * * * *', timeout_seconds: 2, max_retries: 0, idle_interval: 0, ...poll },
    accounts: [
      {
        name: 'e2e',
        endpoint: sim.url,
        requests_per_second: 1000,
        access_key_id: credential.accessKeyId,
        access_key_secret: credential.accessKeySecret,
        regions: [{ region: 'cn-hangzhou', instances: ids }],
      },
    ],
  });
  return startExporter({
    config,
    log: createLogger({ level: 'error', destination: new LogCapture() }),
    listen: { host: '127.0.0.1', port },
    processMetrics: false,
  });
}

async function stopFleet(fleet: Fleet | undefined): Promise<void> {
  await fleet?.stack.stop();
  await fleet?.exporter.close();
  await fleet?.sim.close();
}

/** The alert names of the firing notifications since `since`, each once, sorted. */
function notifiedNames(stack: AlertStack, since: number): string[] {
  return [...new Set(stack.since(since).flatMap((n) => n.alerts.filter((a) => a.status === 'firing').map((a) => a.labels.alertname!)))].sort();
}

describe('shipped alerts and routing on real fleets (Prometheus, Alertmanager, 60-fold time)', function () {
  this.timeout(180_000);
  let fleet: Fleet | undefined;
  before(function () {
    if (AlertStack.available()) return;
    if (process.env.CI) throw new Error('prometheus and prometheus-alertmanager not found: .ci/run must install them');
    this.skip();
  });
  afterEach(async () => {
    await stopFleet(fleet);
    fleet = undefined;
  });

  it('a least-privilege account (the minimal RAM policy) gets one warning per refused action, and no other alert', async () => {
    fleet = await startFleet(['rm-lp-01', 'rm-lp-02', 'rm-lp-03'], MINIMAL);
    const { stack } = fleet;
    const started = Date.now();
    await until('AlicloudRdsBackupReadForbidden notified', () => notifiedNames(stack, started).includes('AlicloudRdsBackupReadForbidden'), 60_000);
    // Past every shortened `for` of what could wrongly fire (the longest relevant: 30m → 30 s).
    await new Promise((r) => setTimeout(r, 32_000));
    assert.deepEqual(await stack.firing(), ['AlicloudRdsBackupReadForbidden'], 'nothing else fires in Prometheus');
    assert.deepEqual(notifiedNames(stack, started), ['AlicloudRdsBackupReadForbidden'], 'nothing else is notified');
    const refused = stack
      .since(started)
      .flatMap((n) => n.alerts)
      .filter((a) => a.labels.alertname === 'AlicloudRdsBackupReadForbidden');
    assert.deepEqual(
      [...new Set(refused.map((a) => a.labels.action))].sort(),
      ['DescribeBinlogFiles', 'DescribeCrossRegionBackupDBInstance', 'DescribeLocalAvailableRecoveryTime', 'DescribeResourceUsage'],
      "one alert per refused action (the account's MySQL instances: binlogs, not SQL Server log files)",
    );
    for (const a of refused) assert.equal(a.labels.severity, 'warning');
  });

  it('a failed backup reaches the webhook within the bound; an exporter restart then neither resolves nor re-sends it', async () => {
    fleet = await startFleet(['rm-fa-01', 'rm-fa-02'], DEMO_CREDENTIAL);
    const { stack, sim } = fleet;
    await new Promise((r) => setTimeout(r, 20_000));
    assert.deepEqual(await stack.firing(), [], 'a healthy fleet fires nothing');
    const job = sim.world.addJob('rm-fa-01', { status: 'Uploading', process: 40 });
    await until(
      'the running job in Prometheus',
      async () => (await stack.query(`alicloud_rds_backup_task_progress_ratio{backup_job_id="${job.jobId}"}`)).length === 1,
      15_000,
    );
    const failedAt = Date.now();
    sim.world.finishJob('rm-fa-01', job.jobId, 'Failed');
    await until('AlicloudRdsBackupFailed notified', () => notifiedNames(stack, failedAt).includes('AlicloudRdsBackupFailed'), FAILED_BOUND_MS);
    const took = stack.since(failedAt).find((n) => n.alerts.some((a) => a.labels.alertname === 'AlicloudRdsBackupFailed'))!.at - failedAt;
    console.log(`      time to notify AlicloudRdsBackupFailed: ${(took / 1000).toFixed(1)} s (compressed time)`);
    const failed = stack
      .since(failedAt)
      .flatMap((n) => n.alerts)
      .filter((a) => a.labels.alertname === 'AlicloudRdsBackupFailed');
    assert.deepEqual([...new Set(failed.map((a) => a.labels.instance_id))], ['rm-fa-01'], 'for exactly the instance whose backup failed');

    // The exporter restarts on the same port, without a state file: a few scrapes fail.
    await new Promise((r) => setTimeout(r, 5000));
    const restartAt = Date.now();
    await fleet.exporter.close();
    await new Promise((r) => setTimeout(r, 2000));
    fleet.exporter = await exporterFor(sim, ['rm-fa-01', 'rm-fa-02'], DEMO_CREDENTIAL, fleet.port, {});
    await new Promise((r) => setTimeout(r, 25_000));
    const after = stack.since(restartAt);
    assert.deepEqual(
      after
        .flatMap((n) => n.alerts)
        .filter((a) => a.status === 'resolved')
        .map((a) => a.labels.alertname),
      [],
      'nothing resolved by the restart',
    );
    assert.deepEqual(notifiedNames(stack, restartAt), [], 'nothing sent anew: no ExporterDown for a 2 s gap, no re-sent Failed');
    assert.deepEqual(await stack.firing(), ['AlicloudRdsBackupFailed'], 'the failure still firing');
  });

  it('a whole region unreadable (1,000 instances) is one page for the region, not a page per instance', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `rm-out-${String(i).padStart(4, '0')}`);
    // Polls every 5 s with the listing at every poll, so that the outage shows within seconds as it
    // would within minutes; the recoverability reads off, so that 1,000 first looks fit in the rate.
    fleet = await startFleet(
      ids,
      DEMO_CREDENTIAL,
      { schedule: '*/5 * * * * *' },
      { restore_window: false, log_files: false, cross_region: false, storage: false },
    );
    const { stack, sim } = fleet;
    await until(
      'every instance polled well',
      async () => Number((await stack.query('count(alicloud_rds_backup_poll_success == 1)'))[0]?.value[1] ?? 0) === 1000,
      120_000,
    );
    const outageAt = Date.now();
    sim.inject({ kind: 'ServiceUnavailable', times: Infinity });
    await until('AlicloudRdsBackupRegionUnreadable notified', () => notifiedNames(stack, outageAt).includes('AlicloudRdsBackupRegionUnreadable'), 90_000);
    // Past every `for` of the per-instance alerts the outage could raise (PollFailing and the late-alerts).
    await new Promise((r) => setTimeout(r, 35_000));
    const sent = stack.since(outageAt);
    console.log(`      region outage, 1,000 instances: ${sent.length} notification(s): ${notifiedNames(stack, outageAt).join(', ')}`);
    assert.ok(sent.length <= 3, `${sent.length} notifications: ${JSON.stringify(sent.map((n) => n.alerts.map((a) => a.labels.alertname)))}`);
    const pollFailing = Number((await stack.query('count(ALERTS{alertname="AlicloudRdsBackupPollFailing",alertstate="firing"})'))[0]?.value[1] ?? 0);
    console.log(`      PollFailing firing in Prometheus (inhibited in Alertmanager): ${pollFailing}`);
    assert.ok(pollFailing > 0, "the per-instance alerts did fire: Alertmanager's inhibition is what kept them from paging");
  });
});
