// Completed backups (DescribeBackups), the backup policy (DescribeBackupPolicy), and what every
// read costs (the README's table), against the simulator over HTTP.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configSchema } from '../../src/config/schema.js';
import { sample, series, startRig, type Rig } from '../helpers.js';

const I = { account: 'test', region: 'cn-hangzhou', instance_id: 'rm-test-01' };
const H = 3600_000;
const MIN = 60_000;

const calls = (rig: Rig, action: string, instanceId = 'rm-test-01') =>
  rig.sim.requests.filter((r) => r.action === action && (r.params.DBInstanceId === instanceId || r.params.RegionId !== undefined)).length;

describe('backup sets and policy', function () {
  this.timeout(20_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  it('reports the newest successful set of each type, its size and duration, and whether the newest finished set succeeded', async () => {
    rig = await startRig();
    const now = rig.now();
    const world = rig.sim.world;
    world.instance('rm-test-01')!.quirks.numericFields = true;
    // 250 sets in the last two days, so one window's answer spans three pages, in an order
    // unrelated to time.
    for (let i = 0; i < 250; i++) {
      const end = now - 48 * H + i * 10 * MIN;
      world.addBackupSet('rm-test-01', {
        backupId: String(50_000 + i),
        type: i % 3 === 0 ? 'FullBackup' : 'IncrementalBackup',
        status: 'Success',
        startTime: end - 10 * MIN,
        endTime: end,
        sizeBytes: 1000 + i,
      });
    }
    // the newest full backup, then a newer failed incremental one
    world.addBackupSet('rm-test-01', {
      backupId: '60001',
      type: 'FullBackup',
      status: 'Success',
      startTime: now - 3 * H,
      endTime: now - 2 * H,
      sizeBytes: 987_654_321,
    });
    world.addBackupSet('rm-test-01', {
      backupId: '60002',
      type: 'IncrementalBackup',
      status: 'Failed',
      startTime: now - 40 * MIN,
      endTime: now - 30 * MIN,
      sizeBytes: 0,
    });
    await rig.cycle();
    const text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_last_success_timestamp_seconds', { ...I, backup_type: 'FullBackup' }), (now - 2 * H) / 1000);
    assert.equal(sample(text, 'alicloud_rds_backup_last_size_bytes', { ...I, backup_type: 'FullBackup' }), 987_654_321);
    assert.equal(sample(text, 'alicloud_rds_backup_last_duration_seconds', { ...I, backup_type: 'FullBackup' }), 3600);
    const newestIncremental = now - 48 * H + 248 * 10 * MIN;
    assert.equal(sample(text, 'alicloud_rds_backup_last_success_timestamp_seconds', { ...I, backup_type: 'IncrementalBackup' }), newestIncremental / 1000);
    assert.equal(sample(text, 'alicloud_rds_backup_last_duration_seconds', { ...I, backup_type: 'IncrementalBackup' }), 600);
    assert.equal(sample(text, 'alicloud_rds_backup_last_backup_succeeded', I), 0, 'the newest finished set failed');
    assert.equal(sample(text, 'alicloud_rds_backup_last_failure_timestamp_seconds', I), (now - 30 * MIN) / 1000, "the failed set's end");
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'FullBackup', status: 'Success' }), 84 + 1);
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'IncrementalBackup', status: 'Success' }), 166);
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'IncrementalBackup', status: 'Failed' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'FullBackup', status: 'Failed' }), 0, 'present at 0');
    assert.ok(
      rig.sim.requests.some((r) => r.action === 'DescribeBackups' && r.params.PageNumber === '3'),
      'paged',
    );
    for (const r of rig.sim.requests.filter((q) => q.action === 'DescribeBackups'))
      assert.match(r.params.StartTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/, 'UTC minute form');
  });

  it('ignores sets older than the look-back', async () => {
    rig = await startRig();
    rig.sim.world.addBackupSet('rm-test-01', { backupId: '1', status: 'Success', startTime: rig.now() - 9 * 24 * H, endTime: rig.now() - 9 * 24 * H + H });
    await rig.cycle();
    const text = await rig.scrape();
    assert.deepEqual(series(text, 'alicloud_rds_backup_last_success_timestamp_seconds'), []);
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'FullBackup', status: 'Success' }), 0);
  });

  it('counts each set once across overlapping windows and repeated looks, and a new one when it comes', async () => {
    rig = await startRig();
    rig.sim.world.addBackupSet('rm-test-01', { backupId: '1', status: 'Success', startTime: rig.now() - 30 * MIN, endTime: rig.now() - 20 * MIN });
    for (let i = 0; i < 4; i++) {
      await rig.cycle();
      rig.advance(11 * MIN);
    }
    assert.ok(calls(rig, 'DescribeBackups') >= 7, `looked again each interval (${calls(rig, 'DescribeBackups')} calls)`);
    let text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'FullBackup', status: 'Success' }), 1);
    rig.sim.world.addBackupSet('rm-test-01', { backupId: '2', status: 'Failed', startTime: rig.now() - 5 * MIN, endTime: rig.now() - 2 * MIN });
    await rig.cycle();
    text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'FullBackup', status: 'Failed' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_last_backup_succeeded', I), 0);
  });

  it('looks for the new set right after a tracked job ends, not at the next interval', async () => {
    rig = await startRig();
    const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 70 });
    await rig.cycle();
    const before = calls(rig, 'DescribeBackups');
    rig.advance(2 * MIN);
    rig.sim.world.finishJob('rm-test-01', job.jobId, 'Finished');
    await rig.cycle();
    assert.equal(calls(rig, 'DescribeBackups'), before + 1, 'one look, in the same cycle');
    const text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_last_success_timestamp_seconds', { ...I, backup_type: 'FullBackup' }), rig.now() / 1000);
    assert.equal(sample(text, 'alicloud_rds_backup_last_backup_succeeded', I), 1);
  });

  it('dates the newest failure by the failed set, or by when a failed job was learned if that is newer', async () => {
    rig = await startRig();
    await rig.cycle();
    assert.deepEqual(series(await rig.scrape(), 'alicloud_rds_backup_last_failure_timestamp_seconds'), [], 'absent until a failure is known');
    const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 30 });
    await rig.cycle();
    rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
    const ended = rig.now();
    // the exporter learns of it 3 minutes after the set ended
    rig.advance(3 * MIN);
    await rig.cycle();
    assert.equal(
      sample(await rig.scrape(), 'alicloud_rds_backup_last_failure_timestamp_seconds', I),
      (ended + 3 * MIN) / 1000,
      'when the job was learned to have failed',
    );
    // a newer failed set, seen at the next look at the sets (no job was listed for it)
    rig.advance(10 * MIN);
    rig.sim.world.addBackupSet('rm-test-01', { backupId: '77', status: 'Failed', startTime: rig.now() - 2 * MIN, endTime: rig.now() - MIN });
    await rig.cycle();
    assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_last_failure_timestamp_seconds', I), (rig.now() - MIN) / 1000, 'the newer failed set');
    // a later success does not erase when the last failure was
    rig.advance(11 * MIN);
    rig.sim.world.addBackupSet('rm-test-01', { backupId: '78', status: 'Success', startTime: rig.now() - 2 * MIN, endTime: rig.now() - MIN });
    await rig.cycle();
    const text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_last_failure_timestamp_seconds', I), (rig.now() - 12 * MIN) / 1000);
    assert.equal(sample(text, 'alicloud_rds_backup_last_backup_succeeded', I), 1);
  });

  it('finds a long backup that started before the last look and ended after it', async () => {
    rig = await startRig();
    // A six-hour job, first seen running; meanwhile the exporter looks at the sets many times.
    const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 5 });
    for (let i = 0; i < 36; i++) {
      await rig.cycle();
      rig.advance(10 * MIN);
    }
    rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
    await rig.cycle();
    const text = await rig.scrape();
    assert.equal(
      sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'FullBackup', status: 'Failed' }),
      1,
      'its set, starting 6 h back, was in the window',
    );
    assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...I, job_mode: 'Automated' }), 1);
  });

  it('keeps the last known values when DescribeBackups fails, and says so', async () => {
    rig = await startRig();
    rig.sim.world.addBackupSet('rm-test-01', { backupId: '1', status: 'Success', startTime: rig.now() - H, endTime: rig.now() - 30 * MIN });
    await rig.cycle();
    rig.advance(11 * MIN);
    rig.sim.inject({ kind: 'InternalError', action: 'DescribeBackups', times: Infinity });
    await rig.cycle();
    const text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', I), 0);
    assert.equal(
      sample(text, 'alicloud_rds_backup_last_success_timestamp_seconds', { ...I, backup_type: 'FullBackup' }),
      (rig.now() - 11 * MIN - 30 * MIN) / 1000,
    );
    assert.ok(sample(text, 'alicloud_rds_backup_tasks', { ...I, status: 'Uploading' }) !== undefined, 'the task listing, which worked, is shown');
  });

  it('retries a transient failure next cycle, but a permission error only after the slow retry interval (an hour)', async () => {
    rig = await startRig();
    rig.sim.inject({ kind: 'ServiceUnavailable', action: 'DescribeBackupPolicy', times: 1 });
    rig.sim.inject({ kind: 'Forbidden.RAM', action: 'DescribeBackups', times: Infinity });
    await rig.cycle();
    rig.advance(MIN);
    await rig.cycle();
    assert.equal(calls(rig, 'DescribeBackupPolicy'), 2, 'the policy, failed transiently, asked again at once');
    assert.equal(calls(rig, 'DescribeBackups'), 1, 'the forbidden backups not asked again at the next poll');
    assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_poll_success', I), 0, 'still failing in between: no flapping');
    rig.advance(10 * MIN);
    await rig.cycle();
    assert.equal(calls(rig, 'DescribeBackups'), 1, 'nor at its interval (10 min): a refusal waits an hour');
    assert.equal(calls(rig, 'DescribeBackupPolicy'), 2, 'the policy, read, waits its hour');
    rig.advance(50 * MIN);
    await rig.cycle();
    assert.equal(calls(rig, 'DescribeBackups'), 2, 'asked again an hour after the refusal');
    const text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', I), 0, 'the backup sets are essential: the missing permission shows');
    assert.equal(sample(text, 'alicloud_rds_backup_read_success', { ...I, read: 'backups' }), 0);
    assert.equal(
      sample(text, 'alicloud_rds_backup_read_error_info', { ...I, read: 'backups', action: 'DescribeBackups', kind: 'permission', code: 'Forbidden.RAM' }),
      1,
    );
    assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: 'DescribeBackups', code: 'Forbidden.RAM' }), 2);
  });

  it('reports the policy: retention, the longest scheduled gap, the next backup', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-test-01', 'rm-test-02'] } } });
    Object.assign(rig.sim.world.instance('rm-test-01')!.policy, { preferredBackupPeriod: 'Monday,Wednesday,Friday,Sunday', retentionDays: 7 });
    Object.assign(rig.sim.world.instance('rm-test-02')!.policy, { preferredBackupPeriod: 'Tuesday', retentionDays: 30 });
    await rig.cycle();
    const text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_policy_expected_interval_seconds', I), 172800);
    assert.equal(sample(text, 'alicloud_rds_backup_policy_expected_interval_seconds', { instance_id: 'rm-test-02' }), 604800);
    assert.equal(sample(text, 'alicloud_rds_backup_policy_retention_seconds', I), 7 * 86400);
    assert.equal(sample(text, 'alicloud_rds_backup_policy_retention_seconds', { instance_id: 'rm-test-02' }), 30 * 86400);
    const next = sample(text, 'alicloud_rds_backup_policy_next_backup_timestamp_seconds', { instance_id: 'rm-test-02' })!;
    assert.equal(new Date(next * 1000).getUTCDay(), 2, 'next backup on a Tuesday');
    assert.ok(next * 1000 > rig.now() && next * 1000 <= rig.now() + 7 * 24 * H, 'within the coming week');
  });

  it('costs, per instance per hour in steady state with a listing at every tick (idle_interval 0) and backups_interval 10m, 60 task listings, 6 backup looks and 1 policy read', async function () {
    this.timeout(60_000);
    rig = await startRig();
    const count = (): Record<string, number> =>
      Object.fromEntries(['DescribeBackupTasks', 'DescribeBackups', 'DescribeBackupPolicy', 'DescribeDBInstances'].map((a) => [a, calls(rig, a)]));
    // the first hour, polled every minute (the default schedule)
    for (let minute = 0; minute < 60; minute++) {
      await rig.cycle();
      rig.advance(MIN);
    }
    const first = count();
    const baseline = { ...first };
    const { DescribeBackupTasks, DescribeBackups, DescribeBackupPolicy, DescribeDBInstances } = first;
    // The reads after the first come at the instance's own point of each interval (for this
    // instance 72 % of it), so that instances started together do not read together: the first
    // hour has one more of each, the hours after it not.
    assert.deepEqual(
      { DescribeBackupTasks, DescribeBackups, DescribeBackupPolicy, DescribeDBInstances },
      { DescribeBackupTasks: 60, DescribeBackups: 4 + 6, DescribeBackupPolicy: 2, DescribeDBInstances: 6 },
      'first hour: 4 windows for the look-back at once, then one look every 10 min from 7.2 min; the policy at once and at 43.3 min',
    );
    for (let minute = 0; minute < 60; minute++) {
      await rig.cycle();
      rig.advance(MIN);
    }
    const second = count();
    const hour = Object.fromEntries(Object.entries(second).map(([a, n]) => [a, n - baseline[a]!]));
    assert.deepEqual(hour, { DescribeBackupTasks: 60, DescribeBackups: 6, DescribeBackupPolicy: 1, DescribeDBInstances: 6 });
  });

  it('costs at most 15 calls per instance-hour with the defaults, recoverability reads included: listings at every tick only while a backup can run', async function () {
    this.timeout(120_000);
    const defaults = configSchema.parse({ accounts: [{ name: 'x', regions: [{ region: 'cn-hangzhou', instances: ['rm-x'] }] }] }).poll;
    const { idle_interval, backups_interval, restore_window_interval, log_backups_interval, cross_region_interval, resource_usage_interval } = defaults;
    rig = await startRig({
      config: { poll: { idle_interval, backups_interval, restore_window_interval, log_backups_interval, cross_region_interval, resource_usage_interval } },
    });
    const world = rig.sim.world;
    // A daily backup window at 02:00-03:00 UTC; the clock starts at midnight.
    world.instance('rm-test-01')!.policy.preferredBackupTime = '02:00Z-03:00Z';
    rig.advance(Math.ceil(rig.now() / 86_400_000) * 86_400_000 - rig.now());
    // Cross-region backup on, so that every read is made.
    world.instance('rm-test-01')!.crossRegion = { enabled: true, logEnabled: false, region: 'cn-shanghai', retentionDays: 7 };
    const actions = [
      'DescribeBackupTasks',
      'DescribeBackups',
      'DescribeBackupPolicy',
      'DescribeLocalAvailableRecoveryTime',
      'DescribeBinlogFiles',
      'DescribeLogBackupFiles',
      'DescribeCrossRegionBackupDBInstance',
      'DescribeCrossRegionBackups',
      'DescribeResourceUsage',
    ];
    const count = (): Record<string, number> => Object.fromEntries(actions.map((a) => [a, calls(rig, a)]));
    const listingsAt: number[] = [];
    let job: { jobId: string } | undefined;
    for (let minute = 0; minute < 24 * 60; minute++) {
      // the scheduled backup runs 02:10-02:50 and succeeds
      if (minute === 130) job = world.addJob('rm-test-01', { status: 'Uploading', process: 10 });
      if (minute === 170) world.finishJob('rm-test-01', job!.jobId, 'Finished');
      const before = calls(rig, 'DescribeBackupTasks');
      await rig.cycle();
      if (calls(rig, 'DescribeBackupTasks') > before) listingsAt.push(minute);
      rig.advance(MIN);
    }
    const day = count();
    const active = listingsAt.filter((m) => m >= 120 && m < 210);
    assert.equal(active.length, 90, 'every tick from the window start (02:00) to 30 min after its end (03:30)');
    const idle = listingsAt.filter((m) => m < 120 || m >= 210);
    const gaps = idle
      .slice(1)
      .map((m, i) => m - idle[i]!)
      .filter((g) => g < 90);
    assert.ok(
      gaps.every((g) => g <= 15),
      `idle listings at most 15 min apart: ${gaps.join(',')}`,
    );
    assert.equal(
      sample(await rig.scrape(), 'alicloud_rds_backup_task_completions_total', { instance_id: 'rm-test-01', job_mode: 'Automated', status: 'Finished' }),
      1,
      'the scheduled backup was followed to its end',
    );
    // listings: 90 active + the idle ones, plus the one look-up by id of the job that ended.
    // Every read is made at once at the start, then at this instance's own point of each interval
    // (72 % of it after the start, then every interval), so the day from a start has one read of
    // each kind more than a day later on:
    // backup sets: 4 windows of the first look at midnight, then at 00:15, 00:35 ... 02:35, the look
    // right after the job ended (02:50), and on at 02:55 ... 23:55: 4 + 8 + 1 + 64;
    // the policy and the restore window at 00:00, then 00:44 ... 23:44 (1 + 24); the binlogs as
    // often (the first look reads its 7 days in 2 pages); cross-region at 00:00, then 02:10 ... 23:10
    // (1 + 8); storage at 00:00, 04:20, 10:20, 16:20, 22:20; no SQL Server log files for a MySQL instance
    assert.deepEqual(day, {
      DescribeBackupTasks: listingsAt.length + 1,
      DescribeBackups: 4 + 8 + 1 + 64,
      DescribeBackupPolicy: 1 + 24,
      DescribeLocalAvailableRecoveryTime: 1 + 24,
      DescribeBinlogFiles: day.DescribeBinlogFiles,
      DescribeLogBackupFiles: 0,
      DescribeCrossRegionBackupDBInstance: 1 + 8,
      DescribeCrossRegionBackups: 1 + 8,
      DescribeResourceUsage: 1 + 4,
    });
    assert.ok(day.DescribeBinlogFiles! >= 25 && day.DescribeBinlogFiles! <= 27, `binlog reads ${day.DescribeBinlogFiles}`);
    assert.equal(listingsAt.length, 90 + idle.length);
    const perInstance = Object.values(day).reduce((a: number, b) => a + (b ?? 0), 0);
    assert.ok(perInstance / 24 <= 15, `${(perInstance / 24).toFixed(2)} calls per instance-hour`);
    // The README's table says exactly this (the task list row counts listings; the look-up is a "plus").
    const table = readFileSync('README.md', 'utf8').split('## API cost')[1]!.split('\n## ')[0]!;
    for (const [action, n] of Object.entries({ ...day, DescribeBackupTasks: listingsAt.length })) {
      if (n === 0) continue;
      const row = table.split('\n').find((line) => line.startsWith(`| \`${action}\``));
      assert.ok(row, `the README's cost table has a row for ${action}`);
      assert.equal(Number(/^\D*(\d+)/.exec(row.split(' | ')[1]!)?.[1]), n, `README: ${action}`);
    }
    assert.equal(Number(/\| \*\*per instance\*\* \| \*\*(\d+)\*\*/.exec(table)?.[1]), perInstance, 'README: per instance per day');
  });
});
