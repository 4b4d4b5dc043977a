// A real Prometheus (Debian's package) scrapes the exporter over loopback: the exposition is
// ingested as served, counters keep their names, and the documented "backup overdue" and "backup
// failed" expressions pick out the right instances.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRig, until, type Rig } from '../helpers.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const H = 3600_000;

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

describe('a real Prometheus scraping the exporter', function () {
  this.timeout(60_000);
  let rig: Rig | undefined;
  let prometheus: ChildProcess | undefined;

  after(async () => {
    prometheus?.kill('SIGTERM');
    await rig?.close();
  });

  it('ingests every series and answers the overdue and failed-backup queries', async function () {
    if (!existsSync(PROMETHEUS)) {
      if (process.env.CI) throw new Error(`${PROMETHEUS} not found: .ci/run must install Debian's prometheus package`);
      this.skip();
    }
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-fresh', 'rm-stale', 'rm-failed'] } } });
    const world = rig.sim.world;
    const now = rig.now();
    world.addBackupSet('rm-fresh', { type: 'FullBackup', status: 'Success', startTime: now - 5 * H, endTime: now - 4 * H });
    // daily policy, last success 30 h ago: overdue (86400 s + 1 h grace)
    world.addBackupSet('rm-stale', { type: 'FullBackup', status: 'Success', startTime: now - 31 * H, endTime: now - 30 * H });
    world.addBackupSet('rm-failed', { type: 'FullBackup', status: 'Success', startTime: now - 21 * H, endTime: now - 20 * H });
    world.addBackupSet('rm-failed', { type: 'FullBackup', status: 'Failed', startTime: now - 3 * H, endTime: now - 2 * H });
    const job = world.addJob('rm-fresh', { status: 'Uploading', process: 60 });
    await rig.cycle();
    world.finishJob('rm-fresh', job.jobId, 'Failed');
    await rig.cycle();

    const dir = mkdtempSync(join(tmpdir(), 'rds-prom-'));
    const port = await freePort();
    const target = new URL(rig.exporter.url).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: rds-backup\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = async (expr: string): Promise<Vector[]> => {
      const res = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`).catch(() => undefined);
      const body = (await res?.json().catch(() => undefined)) as { status?: string; data?: { result: Vector[] } } | undefined;
      return body?.status === 'success' ? body.data!.result : [];
    };
    await until('a successful scrape', async () => (await query('up{job="rds-backup"} == 1')).length === 1, 40_000);
    await until('the exporter series', async () => (await query('alicloud_rds_backup_poll_success')).length === 3, 10_000);

    const failures = await query('alicloud_rds_backup_task_failures_total{job_mode="Automated"} > 0');
    assert.deepEqual(
      failures.map((v) => [v.metric.instance_id, v.value[1]]),
      [['rm-fresh', '1']],
      'the counter arrived with its name and value',
    );

    const overdue = await query(
      'time() - max by (account, region, instance_id) (alicloud_rds_backup_last_success_timestamp_seconds{backup_type="FullBackup"})' +
        ' > on (account, region, instance_id) alicloud_rds_backup_policy_expected_interval_seconds + 3600',
    );
    assert.deepEqual(
      overdue.map((v) => v.metric.instance_id),
      ['rm-stale'],
      'only the instance past its own schedule',
    );

    const lastFailed = await query('alicloud_rds_backup_last_backup_succeeded == 0');
    assert.deepEqual(
      lastFailed.map((v) => v.metric.instance_id).sort(),
      ['rm-failed', 'rm-fresh'],
      'the newest set failed (rm-fresh: the job that just failed)',
    );

    const scraped = await query('scrape_samples_scraped{job="rds-backup"}');
    const served = (await rig.scrape()).split('\n').filter((l) => l && !l.startsWith('#')).length;
    assert.equal(Number(scraped[0]?.value[1]), served, 'every sample served was ingested');
  });
});
