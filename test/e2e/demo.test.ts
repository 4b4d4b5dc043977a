// `npm run demo` as a newcomer runs it: the simulator and the exporter together, live metrics.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort, sample, series, until } from '../helpers.js';

/** What `npm run demo` runs: node and its arguments (`--import tsx simulator/run-demo.ts`). */
function demoCommand(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const [node, ...args] = pkg.scripts.demo?.split(' ') ?? [];
  assert.equal(node, 'node', `npm run demo runs ${pkg.scripts.demo}`);
  return args;
}

describe('the demo (simulator/run-demo.ts, as `npm run demo` runs it)', function () {
  this.timeout(40_000);

  it('serves live metrics for the demo instances, with tasks running and jobs ending', async () => {
    const [port, simPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, demoCommand(), {
      env: { PATH: process.env.PATH, DEMO_PORT: String(port), DEMO_SIMULATOR_PORT: String(simPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    try {
      await until('ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200, 15_000);
      let text = await (await fetch(`${url}/metrics`)).text();
      for (const id of ['rm-demo-mysql-01', 'rm-demo-mysql-02', 'pgm-demo-pg-01', 'rm-demo-mssql-01']) {
        assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: id }), 1, `${id} polled`);
      }
      assert.ok(series(text, 'alicloud_rds_backup_task_progress_ratio').length > 0, 'a task is running');
      for (const id of ['pgm-demo-pg-01', 'rm-demo-mssql-01']) {
        assert.equal(sample(text, 'alicloud_rds_backup_instance_info', { instance_id: id }), 1, `${id} discovered by tag`);
      }
      assert.equal(
        sample(text, 'alicloud_rds_backup_instance_info', { instance_id: 'rm-demo-mysql-02', tag_team: 'orders', tag_env: 'staging' }),
        1,
        'tags as labels, configured instances too',
      );
      assert.equal(
        sample(text, 'alicloud_rds_backup_instance_info', { instance_id: 'pgm-demo-pg-01', tag_team: 'analytics', tag_env: 'prod' }),
        1,
        'and discovered ones',
      );
      for (const name of [
        'last_success_timestamp_seconds',
        'last_size_bytes',
        'last_duration_seconds',
        'last_backup_succeeded',
        'sets_total',
        'policy_retention_seconds',
        'policy_expected_interval_seconds',
        'policy_next_backup_timestamp_seconds',
      ]) {
        assert.equal(series(text, `alicloud_rds_backup_${name}`, { instance_id: 'rm-demo-mysql-01' }).length > 0, true, `the demo shows ${name}`);
      }
      assert.equal(
        sample(text, 'alicloud_rds_backup_policy_expected_interval_seconds', { instance_id: 'rm-demo-mssql-01' }),
        3 * 86400,
        'Tuesday,Thursday,Saturday',
      );
      // Recoverability: one log chain with a gap, one stale cross-region copy, SQL Server's log backups.
      assert.equal(sample(text, 'alicloud_rds_backup_log_chain_gaps', { instance_id: 'pgm-demo-pg-01' }), 1, 'the PostgreSQL log chain has a gap');
      assert.ok(
        series(text, 'alicloud_rds_backup_log_chain_gaps')
          .filter((s) => s.labels.instance_id !== 'pgm-demo-pg-01')
          .every((s) => s.value === 0),
        'only there',
      );
      const copied = sample(text, 'alicloud_rds_backup_cross_region_last_success_timestamp_seconds', { instance_id: 'rm-demo-mysql-01' })!;
      const full = sample(text, 'alicloud_rds_backup_last_success_timestamp_seconds', { instance_id: 'rm-demo-mysql-01', backup_type: 'FullBackup' })!;
      assert.ok(full - copied > 86400, `the newest copy (${copied}) is more than a day older than the newest backup (${full})`);
      assert.equal(sample(text, 'alicloud_rds_backup_cross_region_enabled', { instance_id: 'rm-demo-mysql-01', target_region: 'cn-shanghai' }), 1);
      assert.equal(
        sample(text, 'alicloud_rds_backup_log_chain_gaps', { instance_id: 'rm-demo-mssql-01', host_instance_id: '' }),
        0,
        'SQL Server log backups read',
      );
      assert.ok(
        sample(text, 'alicloud_rds_backup_restore_window_end_timestamp_seconds', { instance_id: 'rm-demo-mysql-01' })! > 0,
        'the demo shows a restore window',
      );
      // Autopilot starts and ends jobs every few seconds; within half a minute some have ended.
      await until(
        'a job to end',
        async () => {
          text = await (await fetch(`${url}/metrics`)).text();
          return series(text, 'alicloud_rds_backup_task_completions_total').some((s) => s.value > 0);
        },
        30_000,
      );
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, 'the demo stops cleanly on Ctrl-C');
  });

  for (const variable of ['DEMO_PORT', 'DEMO_SIMULATOR_PORT'] as const) {
    it(`on a busy ${variable} port, says so in one line and exits 1`, async () => {
      const busy: Server = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const taken = (busy.address() as { port: number }).port;
      try {
        const ports = { DEMO_PORT: String(await freePort()), DEMO_SIMULATOR_PORT: String(await freePort()), [variable]: String(taken) };
        const run = spawnSync(process.execPath, demoCommand(), { env: { PATH: process.env.PATH, ...ports }, encoding: 'utf8', timeout: 20_000 });
        assert.equal(run.status, 1, `exit status; stderr: ${run.stderr}`);
        assert.deepEqual(run.stderr.split('\n').filter(Boolean), [
          `demo: port ${taken} is already in use; choose another with ${variable}=<port> npm run demo`,
        ]);
      } finally {
        busy.close();
      }
    });
  }
});
