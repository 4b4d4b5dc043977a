// The recoverability reads against the simulator over HTTP: the restore window, the log chain
// (binlogs and SQL Server log backups, asked only since the last look), the policy's extra fields,
// cross-region backup, backup storage and usable sets — paging, quirks, engine filtering, and
// failures that keep the last values with poll_success 0.
import assert from 'node:assert/strict';
import { sample, series, startRig, type Rig } from '../helpers.js';

const H = 3600_000;
const MIN = 60_000;
const DAY = 24 * H;
const I = { account: 'test', region: 'cn-hangzhou', instance_id: 'rm-test-01' };

const requests = (rig: Rig, action: string, instanceId?: string) =>
  rig.sim.requests.filter((r) => r.action === action && (instanceId === undefined || r.params.DBInstanceId === instanceId));

/** Two cycles: the first learns the engine from DescribeDBInstances, the second makes the engine's reads. */
async function start(rig: Rig): Promise<void> {
  await rig.cycle();
  await rig.cycle();
}

describe('recoverability reads', function () {
  this.timeout(30_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  it('reports the restore window, and none while the instance has no full backup in its retention', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-test-01', 'rm-test-02'] } } });
    const now = rig.now();
    const world = rig.sim.world;
    world.addBackupSet('rm-test-01', { type: 'FullBackup', startTime: now - 3 * DAY - 20 * MIN, endTime: now - 3 * DAY });
    world.addBackupSet('rm-test-01', { type: 'FullBackup', startTime: now - DAY - 20 * MIN, endTime: now - DAY });
    world.addBackupSet('rm-test-02', { type: 'FullBackup', startTime: now - 9 * DAY, endTime: now - 9 * DAY + 20 * MIN });
    world.instance('rm-test-01')!.logs.uploadLagMs = 2 * H;
    await start(rig);
    const text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_restore_window_start_timestamp_seconds', I), (now - 3 * DAY) / 1000);
    // hourly files, the last two still uploading: restorable up to the end of the third newest
    assert.equal(sample(text, 'alicloud_rds_backup_restore_window_end_timestamp_seconds', I), (Math.floor(now / H) * H - 2 * H) / 1000);
    assert.deepEqual(series(text, 'alicloud_rds_backup_restore_window_end_timestamp_seconds', { instance_id: 'rm-test-02' }), [], 'empty strings: no series');
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-test-02' }), 1, 'an empty window is not an error');
  });

  it('reads the binlog chain of every host across pages, counts gaps inside retention, and then asks only since the last look', async () => {
    rig = await startRig();
    const world = rig.sim.world;
    const inst = world.instance('rm-test-01')!;
    inst.logs.hosts = ['5841973', '5841974'];
    inst.logs.uploadLagMs = 2 * H;
    const now = rig.now();
    const hour = Math.floor(now / H) * H;
    world.breakLogChain('rm-test-01', hour - 30 * H, hour - 27 * H, '5841973');
    await start(rig);
    let text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_log_chain_gaps', { ...I, host_instance_id: '5841973' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_log_chain_gaps', { ...I, host_instance_id: '5841974' }), 0);
    assert.equal(sample(text, 'alicloud_rds_backup_log_files_not_uploaded', I), 4, 'two files per host still uploading');
    assert.equal(sample(text, 'alicloud_rds_backup_log_last_end_timestamp_seconds', I), (hour - 2 * H) / 1000);
    const expectedBytes = world.logFiles('rm-test-01').reduce((sum, f) => sum + f.sizeBytes, 0);
    assert.equal(sample(text, 'alicloud_rds_backup_log_files_size_bytes', I), expectedBytes);

    const first = requests(rig, 'DescribeBinlogFiles');
    assert.ok(
      first.some((r) => r.params.PageNumber === '4'),
      `paged through ${world.logFiles('rm-test-01').length} files, 100 a page`,
    );
    for (const r of first) {
      assert.equal(r.params.PageSize, '100');
      assert.match(r.params.StartTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'second precision');
    }
    assert.equal(Date.parse(first[0]!.params.StartTime!), now - 7 * DAY, 'the first look covers the look-back');
    assert.equal(requests(rig, 'DescribeLogBackupFiles').length, 0, 'not for MySQL');

    // 15 minutes on: only since the oldest file still uploading, one page.
    rig.advance(15 * MIN);
    await rig.cycle();
    const later = requests(rig, 'DescribeBinlogFiles').slice(first.length);
    assert.equal(later.length, 1, 'one call, one page');
    assert.ok(Date.parse(later[0]!.params.StartTime!) >= now - 3 * H, `asked since ${later[0]!.params.StartTime}`);
    rig.advance(3 * H);
    await rig.cycle();
    text = await rig.scrape();
    // hourly files, ending on the hour; those ending in the last two hours still uploading
    assert.equal(sample(text, 'alicloud_rds_backup_log_last_end_timestamp_seconds', I), (Math.floor((rig.now() - 2 * H) / H) * H) / 1000, 'newer files taken');
    assert.equal(sample(text, 'alicloud_rds_backup_log_chain_gaps', { ...I, host_instance_id: '5841973' }), 1, 'the gap is remembered');
    assert.doesNotMatch(text + rig.logs.text, /Signature=|OSSAccessKeyId/, 'no download link anywhere');
  });

  it('does not count a gap older than the log retention', async () => {
    rig = await startRig({ config: { poll: { log_backups_lookback: 10 * 86400 } } });
    const world = rig.sim.world;
    Object.assign(world.instance('rm-test-01')!.policy, { logRetentionDays: 10 });
    const hour = Math.floor(rig.now() / H) * H;
    world.breakLogChain('rm-test-01', hour - 8 * DAY, hour - 8 * DAY + 3 * H);
    await start(rig);
    assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_log_chain_gaps', I), 1, 'inside a 10-day retention');
    Object.assign(world.instance('rm-test-01')!.policy, { logRetentionDays: 7 });
    rig.advance(H);
    await rig.cycle();
    assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_log_chain_gaps', I), 0, 'outside a 7-day retention');
  });

  it('reads SQL Server log backups with DescribeLogBackupFiles (minute precision, pages of 1000), and never binlogs', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-test-01', 'rm-sql-01'] } }, addInstances: false });
    const world = rig.sim.world;
    world.addInstance('rm-test-01', { engine: 'MySQL' });
    world.addInstance('rm-sql-01', { engine: 'SQLServer', quirks: { numericFields: true }, logs: { fileEveryMs: 5 * MIN } });
    const hour = Math.floor(rig.now() / H) * H;
    world.breakLogChain('rm-sql-01', hour - 5 * H, hour - 4 * H);
    await start(rig);
    const text = await rig.scrape();
    const sql = { instance_id: 'rm-sql-01' };
    const calls = requests(rig, 'DescribeLogBackupFiles');
    assert.ok(calls.length >= 2 && calls.every((r) => r.params.DBInstanceId === 'rm-sql-01'), 'for SQL Server only');
    assert.ok(
      calls.some((r) => r.params.PageNumber === '2'),
      `${world.logFiles('rm-sql-01').length} files: two pages of 1000`,
    );
    for (const r of calls) {
      assert.equal(r.params.PageSize, '1000');
      assert.match(r.params.StartTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/, 'minute precision');
    }
    assert.equal(requests(rig, 'DescribeBinlogFiles', 'rm-sql-01').length, 0);
    assert.equal(sample(text, 'alicloud_rds_backup_log_chain_gaps', { ...sql, host_instance_id: '' }), 1);
    assert.deepEqual(series(text, 'alicloud_rds_backup_log_files_not_uploaded', sql), [], 'SQL Server does not tell');
    assert.ok(
      sample(text, 'alicloud_rds_backup_log_last_end_timestamp_seconds', sql)! * 1000 >= rig.now() - 10 * MIN,
      'the newest SQL Server log backup is recent',
    );
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', sql), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', I), 1);
  });

  it('reports the policy fields: log backup, log and archive retention, ReleasedKeepPolicy (Lastest read as Latest), disk-pressure protection', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-test-01', 'rm-test-02'] } } });
    Object.assign(rig.sim.world.instance('rm-test-02')!.policy, {
      logBackupEnabled: false,
      logRetentionDays: 3,
      releasedKeepPolicy: 'None',
      highSpaceUsageProtection: 'Disable',
      compressType: '1',
      archiveRetentionDays: 365,
    });
    await start(rig);
    const text = await rig.scrape();
    const two = { instance_id: 'rm-test-02' };
    assert.equal(sample(text, 'alicloud_rds_backup_policy_log_backup_enabled', I), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_policy_log_backup_enabled', two), 0);
    assert.equal(sample(text, 'alicloud_rds_backup_policy_log_retention_seconds', two), 3 * 86400);
    assert.equal(sample(text, 'alicloud_rds_backup_policy_archive_retention_seconds', two), 365 * 86400);
    assert.equal(sample(text, 'alicloud_rds_backup_policy_archive_retention_seconds', I), 0);
    assert.equal(
      sample(text, 'alicloud_rds_backup_policy_info', { ...I, released_keep_policy: 'Latest', high_space_usage_protection: 'Enable', compress_type: '4' }),
      1,
    );
    assert.equal(
      sample(text, 'alicloud_rds_backup_policy_info', { ...two, released_keep_policy: 'None', high_space_usage_protection: 'Disable', compress_type: '1' }),
      1,
    );
    assert.equal(sample(text, 'alicloud_rds_backup_log_files_size_bytes', two), 0, 'log backup off: no files');
    assert.deepEqual(series(text, 'alicloud_rds_backup_log_last_end_timestamp_seconds', two), [], 'and no newest file');
    assert.ok(sample(text, 'alicloud_rds_backup_log_last_end_timestamp_seconds', I)! > 0, 'rm-test-01 has log files');
  });

  it('reports cross-region backup: on and where, the newest successful copy (status 0), a failed newest copy, a stale one; nothing asked while it is off', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-test-01', 'rm-test-02', 'rm-test-03'] } } });
    const world = rig.sim.world;
    const now = rig.now();
    world.instance('rm-test-01')!.crossRegion = { enabled: true, logEnabled: true, region: 'cn-shanghai', retentionDays: 15 };
    world.instance('rm-test-02')!.crossRegion = { enabled: false, logEnabled: false, region: '', retentionDays: 7 };
    world.instance('rm-test-01')!.quirks.numericFields = true;
    world.addBackupSet('rm-test-01', { type: 'FullBackup', startTime: now - 2 * DAY - 20 * MIN, endTime: now - 2 * DAY });
    world.addBackupSet('rm-test-01', { type: 'FullBackup', startTime: now - DAY - 20 * MIN, endTime: now - DAY });
    world.addCrossRegionSet('rm-test-01', { status: 1, startTime: now - 3 * H, endTime: now - 2 * H });
    await start(rig);
    let text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_cross_region_enabled', { ...I, target_region: 'cn-shanghai' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_cross_region_enabled', { instance_id: 'rm-test-02', target_region: '' }), 0);
    assert.equal(
      sample(text, 'alicloud_rds_backup_cross_region_enabled', { instance_id: 'rm-test-03', target_region: '' }),
      0,
      'never set up: left out by the API, read as off',
    );
    assert.equal(sample(text, 'alicloud_rds_backup_cross_region_last_success_timestamp_seconds', I), (now - DAY + 10 * MIN) / 1000);
    assert.equal(sample(text, 'alicloud_rds_backup_cross_region_last_backup_succeeded', I), 0, 'the newest copy failed');
    assert.equal(
      requests(rig, 'DescribeCrossRegionBackups', 'rm-test-02').length + requests(rig, 'DescribeCrossRegionBackups', 'rm-test-03').length,
      0,
      'no copies asked while off',
    );
    assert.deepEqual(series(text, 'alicloud_rds_backup_cross_region_last_success_timestamp_seconds', { instance_id: 'rm-test-02' }), []);
    for (const r of requests(rig, 'DescribeCrossRegionBackups')) {
      assert.equal(r.params.RegionId, 'cn-hangzhou');
      assert.match(r.params.StartTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }

    // Copies stall: a new full backup is not copied, and the newest copy stays a day old.
    world.stallCrossRegionCopies('rm-test-01');
    rig.advance(H);
    world.addBackupSet('rm-test-01', { type: 'FullBackup', startTime: rig.now() - 30 * MIN, endTime: rig.now() - 10 * MIN });
    await rig.cycle();
    text = await rig.scrape();
    assert.equal(sample(text, 'alicloud_rds_backup_cross_region_last_success_timestamp_seconds', I), (now - DAY + 10 * MIN) / 1000);
    assert.equal(sample(text, 'alicloud_rds_backup_last_success_timestamp_seconds', { ...I, backup_type: 'FullBackup' }), (rig.now() - 10 * MIN) / 1000);
  });

  it('reports backup storage by kind (-1 read as 0) and the bytes over the free quota', async () => {
    rig = await startRig();
    const world = rig.sim.world;
    const now = rig.now();
    world.instance('rm-test-01')!.storageBytes = 20 * 1024 ** 3;
    world.addBackupSet('rm-test-01', { startTime: now - DAY - 20 * MIN, endTime: now - DAY, sizeBytes: 15 * 1024 ** 3 });
    await start(rig);
    const text = await rig.scrape();
    const log = world.logFiles('rm-test-01').reduce((sum, f) => sum + f.sizeBytes, 0);
    assert.equal(sample(text, 'alicloud_rds_backup_storage_bytes', { ...I, kind: 'data' }), 15 * 1024 ** 3);
    assert.equal(sample(text, 'alicloud_rds_backup_storage_bytes', { ...I, kind: 'log' }), log);
    assert.equal(sample(text, 'alicloud_rds_backup_storage_bytes', { ...I, kind: 'archive' }), 0);
    assert.equal(sample(text, 'alicloud_rds_backup_storage_bytes', { ...I, kind: 'cold' }), 0, 'ColdBackupSize -1: none');
    assert.equal(sample(text, 'alicloud_rds_backup_storage_over_free_quota_bytes', I), 15 * 1024 ** 3 + log - 10 * 1024 ** 3);
  });

  it('counts the usable sets within retention (IsAvail)', async () => {
    rig = await startRig();
    const world = rig.sim.world;
    const now = rig.now();
    world.addBackupSet('rm-test-01', { startTime: now - 2 * DAY, endTime: now - 2 * DAY + 20 * MIN });
    world.addBackupSet('rm-test-01', { startTime: now - DAY, endTime: now - DAY + 20 * MIN });
    world.addBackupSet('rm-test-01', { status: 'Failed', startTime: now - 5 * H, endTime: now - 4 * H, sizeBytes: 0 });
    world.addBackupSet('rm-test-01', { startTime: now - 8 * DAY + H, endTime: now - 8 * DAY + 2 * H });
    await start(rig);
    assert.equal(
      sample(await rig.scrape(), 'alicloud_rds_backup_usable_sets', I),
      2,
      'the failed one (IsAvail 0) and the one past the 7-day retention are not counted',
    );
  });

  for (const action of [
    'DescribeLocalAvailableRecoveryTime',
    'DescribeBinlogFiles',
    'DescribeCrossRegionBackupDBInstance',
    'DescribeCrossRegionBackups',
    'DescribeResourceUsage',
  ]) {
    it(`keeps the last values and poll_success 1, its read_success 0, while ${action} fails`, async () => {
      rig = await startRig();
      const world = rig.sim.world;
      world.instance('rm-test-01')!.crossRegion = { enabled: true, logEnabled: false, region: 'cn-beijing', retentionDays: 7 };
      world.addBackupSet('rm-test-01', { type: 'FullBackup', startTime: rig.now() - DAY - 20 * MIN, endTime: rig.now() - DAY });
      await start(rig);
      const before = await rig.scrape();
      const watched = [
        'alicloud_rds_backup_restore_window_end_timestamp_seconds',
        'alicloud_rds_backup_log_last_end_timestamp_seconds',
        'alicloud_rds_backup_cross_region_enabled',
        'alicloud_rds_backup_cross_region_last_success_timestamp_seconds',
        'alicloud_rds_backup_storage_over_free_quota_bytes',
      ];
      for (const name of watched) assert.equal(series(before, name, I).length, 1, `${name} present before`);
      rig.sim.inject({ kind: 'InternalError', action, times: Infinity });
      world.addBackupSet('rm-test-01', { type: 'FullBackup', startTime: rig.now() - 20 * MIN, endTime: rig.now() });
      rig.advance(2 * H);
      await rig.cycle();
      const after = await rig.scrape();
      assert.ok(
        requests(rig, action).some((r) => r.code === 'InternalError'),
        `${action} was asked and failed`,
      );
      assert.equal(sample(after, 'alicloud_rds_backup_poll_success', I), 1, 'an optional read never makes the poll fail');
      const read =
        action === 'DescribeLocalAvailableRecoveryTime'
          ? 'restore_window'
          : action === 'DescribeBinlogFiles'
            ? 'log_files'
            : action === 'DescribeResourceUsage'
              ? 'storage'
              : 'cross_region';
      assert.equal(sample(after, 'alicloud_rds_backup_read_success', { ...I, read }), 0, `read_success{read="${read}"}`);
      assert.equal(sample(after, 'alicloud_rds_backup_read_error_info', { ...I, read, action, kind: 'server', code: 'InternalError' }), 1);
      assert.equal(sample(after, 'alicloud_rds_backup_read_success', { ...I, read: 'backups' }), 1, 'the other reads are unaffected');
      const changed = {
        DescribeLocalAvailableRecoveryTime: watched[0],
        DescribeBinlogFiles: watched[1],
        DescribeCrossRegionBackupDBInstance: watched[2],
        DescribeCrossRegionBackups: watched[3],
        DescribeResourceUsage: watched[4],
      }[action]!;
      assert.deepEqual(series(after, changed, I), series(before, changed, I), `${changed} kept as it was`);
      assert.equal(sample(after, 'alicloud_rds_backup_api_requests_total', { action, code: 'InternalError' })! >= 1, true);
    });
  }

  it('makes no call and serves no series for a read turned off', async () => {
    rig = await startRig({ config: { poll: { restore_window_interval: 0, log_backups_interval: 0, cross_region_interval: 0, resource_usage_interval: 0 } } });
    rig.sim.world.instance('rm-test-01')!.crossRegion = { enabled: true, logEnabled: false, region: 'cn-beijing', retentionDays: 7 };
    await start(rig);
    const text = await rig.scrape();
    for (const action of [
      'DescribeLocalAvailableRecoveryTime',
      'DescribeBinlogFiles',
      'DescribeLogBackupFiles',
      'DescribeCrossRegionBackupDBInstance',
      'DescribeCrossRegionBackups',
      'DescribeResourceUsage',
    ]) {
      assert.equal(requests(rig, action).length, 0, action);
    }
    for (const name of ['restore_window_end_timestamp_seconds', 'log_chain_gaps', 'cross_region_enabled', 'storage_bytes']) {
      assert.deepEqual(series(text, `alicloud_rds_backup_${name}`), [], name);
    }
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', I), 1);
  });
});
