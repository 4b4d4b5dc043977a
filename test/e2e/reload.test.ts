// Configuration reload: applied at once; instances that stay keep their state, removed ones lose
// every series, added ones are polled.
import assert from 'node:assert/strict';
import { sample, series, startRig, testConfig, type Rig } from '../helpers.js';

describe('configuration reload', function () {
  this.timeout(20_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  const ids = (text: string) =>
    series(text, 'alicloud_rds_backup_poll_success')
      .map((s) => s.labels.instance_id)
      .sort();

  it('keeps the state of instances that stay, drops removed ones, adds new ones', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-keep', 'rm-drop'] } } });
    rig.sim.world.addInstance('rm-new');
    const failed = rig.sim.world.addJob('rm-keep', { status: 'Uploading', process: 10 });
    const running = rig.sim.world.addJob('rm-keep', { status: 'Uploading', process: 40 });
    await rig.cycle();
    rig.sim.world.finishJob('rm-keep', failed.jobId, 'Failed');
    await rig.cycle();
    assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_task_failures_total', { instance_id: 'rm-keep', job_mode: 'Automated' }), 1);

    await rig.exporter.reload(testConfig(rig.sim, { regions: { 'cn-hangzhou': ['rm-keep', 'rm-new'] }, poll: { timeout_seconds: 3 } }));
    rig.sim.world.finishJob('rm-keep', running.jobId, 'Failed');
    await rig.cycle();
    const text = await rig.scrape();
    assert.deepEqual(ids(text), ['rm-keep', 'rm-new']);
    assert.equal(text.split('\n').filter((l) => l.includes('instance_id="rm-drop"')).length, 0, 'no series of the removed instance');
    assert.equal(
      sample(text, 'alicloud_rds_backup_task_failures_total', { instance_id: 'rm-keep', job_mode: 'Automated' }),
      2,
      'the counter carried on, and the job in flight was followed to its end',
    );
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-new' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_config_last_reload_successful'), 1);
    assert.ok(
      rig.logs.records().some((r) => r.msg === 'configuration reloaded'),
      'logged',
    );
  });

  it('runs reloads from the source (SIGHUP, POST /-/reload) one at a time: 50 asked at once load the file at most twice', async () => {
    let loads = 0;
    const base = await startRig();
    const config = testConfig(base.sim);
    await base.close();
    rig = await startRig({
      exporter: {
        loadConfig: () => {
          loads++;
          return config;
        },
      },
    });
    await Promise.all(Array.from({ length: 50 }, () => rig.exporter.reloadFromSource()));
    assert.ok(loads >= 1 && loads <= 2, `the configuration was loaded ${loads} times for 50 reloads asked at once`);
    const before = loads;
    await rig.exporter.reloadFromSource();
    assert.equal(loads, before + 1, 'a reload asked after the others ended runs, once');
    assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_config_last_reload_successful'), 1);
  });

  it('switches to a new endpoint and keys', async () => {
    rig = await startRig();
    await rig.cycle();
    const other = testConfig(rig.sim, { accessKeySecret: 'a-wrong-secret-after-reload' });
    await rig.exporter.reload(other);
    await rig.cycle();
    const text = await rig.scrape();
    assert.equal(
      sample(text, 'alicloud_rds_backup_api_requests_total', { action: 'DescribeBackupTasks', code: 'SignatureDoesNotMatch' }),
      1,
      'the new key is used',
    );
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-test-01' }), 0);
  });

  it('does not hold up shutdown when a reload waits for a stuck cycle', async () => {
    rig = await startRig({ config: { poll: { timeout_seconds: 8, max_retries: 0 } }, exporter: { shutdownGraceMs: 300 } });
    rig.sim.inject({ kind: 'hang', action: 'DescribeBackupTasks', times: 1 });
    const cycle = rig.cycle();
    const reloaded = rig.exporter.reload(testConfig(rig.sim, {}));
    await new Promise((r) => setImmediate(r)); // the reload is now waiting for the cycle
    const started = performance.now();
    await rig.exporter.close();
    assert.ok(performance.now() - started < 3000, `closed in ${Math.round(performance.now() - started)} ms`);
    await cycle;
    await reloaded;
  });

  it('applies at once; a poll already running ends with the client it started with', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-a', 'rm-b'] } } });
    await rig.cycle();
    rig.sim.latencyMs = 300;
    const cycle = rig.cycle();
    await new Promise((r) => setTimeout(r, 100)); // both listings are now in flight
    await rig.exporter.reload(testConfig(rig.sim, { regions: { 'cn-hangzhou': ['rm-a'] } }));
    assert.deepEqual(ids(await rig.scrape()), ['rm-a'], 'rm-b is dropped at once, before its running poll ends');
    await cycle;
    const text = await rig.scrape();
    assert.deepEqual(ids(text), ['rm-a'], 'the poll of rm-b that was running does not bring it back');
    assert.equal(
      sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-a' }),
      1,
      'the running poll ended normally: its client was not closed under it',
    );
    assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: 'DescribeBackupTasks', code: 'NetworkError' }), undefined);
  });
});
