// The simulator's recoverability actions, through a real pop-core client: their parameters,
// time formats and page sizes (which differ per action), their quirks, and the engines they serve.
import assert from 'node:assert/strict';
import { World } from '../../simulator/world.js';
import { rejection, startHarness, type Harness } from './helpers.js';

type Row = Record<string, unknown>;
const H = 3_600_000;
const DAY = 24 * H;
const NOW = Math.floor(Date.now() / H) * H;
const seconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const minutes = (ms: number): string => new Date(ms).toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');

describe('simulator recoverability actions', () => {
  let h: Harness;
  let world: World;

  beforeEach(async () => {
    world = new World({ now: () => NOW, seed: 5 });
    h = await startHarness({ world, requestClock: Date.now });
    world.addInstance('rm-my', { engine: 'MySQL', logs: { hosts: ['11', '22'] } });
    world.addInstance('rm-sql', { engine: 'SQLServer' });
  });
  afterEach(() => h.close());

  it('DescribeBinlogFiles: second-precision range selecting overlapping files, pages of 30 to 100, strings, not for SQL Server', async () => {
    const body = await h.call('DescribeBinlogFiles', { DBInstanceId: 'rm-my', StartTime: seconds(NOW - 3 * H - 1000), EndTime: seconds(NOW), PageSize: 30 });
    const files = (body.Items as { BinLogFile: Row[] }).BinLogFile;
    assert.equal(body.TotalRecordCount, '8', 'four files a host, the one ending one second after the start included');
    assert.equal(files.length, 8);
    assert.deepEqual(new Set(files.map((f) => f.HostInstanceID)), new Set(['11', '22']));
    assert.ok(
      files.every((f) => typeof f.FileSize === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(String(f.LogEndTime))),
      'sizes as strings, times to the second',
    );
    assert.deepEqual(new Set(files.map((f) => f.RemoteStatus)), new Set(['Completed', 'Uploading']), 'the newest still uploading');
    for (const bad of [
      { StartTime: minutes(NOW - H), EndTime: seconds(NOW) },
      { StartTime: seconds(NOW), EndTime: seconds(NOW - H) },
    ]) {
      const err = await rejection(h.call('DescribeBinlogFiles', { DBInstanceId: 'rm-my', ...bad }));
      assert.match(String(err.code), /^Invalid(Start|End)Time\.Malformed$/);
    }
    assert.equal(
      (await rejection(h.call('DescribeBinlogFiles', { DBInstanceId: 'rm-my', StartTime: seconds(NOW - H), EndTime: seconds(NOW), PageSize: 1000 }))).code,
      'InvalidPageSize',
    );
    assert.equal(
      (await rejection(h.call('DescribeBinlogFiles', { DBInstanceId: 'rm-sql', StartTime: seconds(NOW - H), EndTime: seconds(NOW) }))).code,
      'InvalidDBInstanceEngine.NotSupport',
    );
  });

  it('DescribeLogBackupFiles: minute precision, pages up to 1000, only SQL Server, no host and no upload status', async () => {
    const body = await h.call('DescribeLogBackupFiles', { DBInstanceId: 'rm-sql', StartTime: minutes(NOW - 2 * H), EndTime: minutes(NOW), PageSize: 1000 });
    const files = (body.Items as { BinLogFile: Row[] }).BinLogFile;
    assert.equal(files.length, 3, 'every 30 minutes; the one ending now is still being uploaded, so not listed');
    assert.ok(
      files.every((f) => /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/.test(String(f.LogBeginTime)) && f.HostInstanceID === undefined && f.RemoteStatus === undefined),
      'times to the minute, no host, no upload status',
    );
    assert.equal(
      (await rejection(h.call('DescribeLogBackupFiles', { DBInstanceId: 'rm-sql', StartTime: seconds(NOW - H), EndTime: seconds(NOW) }))).code,
      'InvalidStartTime.Malformed',
    );
    assert.equal(
      (await rejection(h.call('DescribeLogBackupFiles', { DBInstanceId: 'rm-my', StartTime: minutes(NOW - H), EndTime: minutes(NOW) }))).code,
      'InvalidDBInstanceEngine.NotSupport',
    );
  });

  it('breaks the log chain of one host on request', async () => {
    world.breakLogChain('rm-my', NOW - 10 * H, NOW - 8 * H, '11');
    const files = world.logFiles('rm-my');
    assert.equal(files.filter((f) => f.host === '11' && f.beginMs < NOW - 8 * H && f.endMs > NOW - 10 * H).length, 0);
    assert.equal(files.filter((f) => f.host === '22' && f.beginMs < NOW - 8 * H && f.endMs > NOW - 10 * H).length, 2);
  });

  it('DescribeLocalAvailableRecoveryTime: from the oldest full backup in retention to the newest uploaded log; empty strings without one', async () => {
    assert.deepEqual(await h.call('DescribeLocalAvailableRecoveryTime', { DBInstanceId: 'rm-my' }).then((b) => [b.RecoveryBeginTime, b.RecoveryEndTime]), [
      '',
      '',
    ]);
    world.addBackupSet('rm-my', { endTime: NOW - 2 * DAY });
    const body = await h.call('DescribeLocalAvailableRecoveryTime', { DBInstanceId: 'rm-my' });
    assert.equal(body.RecoveryBeginTime, seconds(NOW - 2 * DAY));
    assert.equal(body.RecoveryEndTime, seconds(NOW - H), 'the file ending now is still uploading');
  });

  it('DescribeCrossRegionBackupDBInstance lists only instances ever set up; DescribeCrossRegionBackups copies full backups with BackupSetStatus 0 until stalled', async () => {
    world.instance('rm-my')!.crossRegion = { enabled: true, logEnabled: false, region: 'cn-shanghai', retentionDays: 7 };
    let body = await h.call('DescribeCrossRegionBackupDBInstance', { RegionId: 'cn-hangzhou', DBInstanceId: 'rm-my,rm-sql' });
    const items = (body.Items as { Item: Row[] }).Item;
    assert.deepEqual(
      items.map((i) => [i.DBInstanceId, i.BackupEnabled, i.CrossBackupRegion]),
      [['rm-my', 'Enable', 'cn-shanghai']],
    );
    world.addBackupSet('rm-my', { endTime: NOW - 2 * DAY });
    world.stallCrossRegionCopies('rm-my');
    world.addBackupSet('rm-my', { endTime: NOW - DAY });
    body = await h.call('DescribeCrossRegionBackups', {
      RegionId: 'cn-hangzhou',
      DBInstanceId: 'rm-my',
      StartTime: seconds(NOW - 8 * DAY),
      EndTime: seconds(NOW),
      PageSize: 100,
    });
    const sets = (body.Items as { Item: Row[] }).Item;
    assert.deepEqual(
      sets.map((s) => [s.BackupSetStatus, s.BackupEndTime]),
      [[0, seconds(NOW - 2 * DAY + 10 * 60_000)]],
      'one copy, before the stall',
    );
    assert.equal(
      (
        await rejection(
          h.call('DescribeCrossRegionBackups', { RegionId: 'cn-beijing', DBInstanceId: 'rm-my', StartTime: seconds(NOW - DAY), EndTime: seconds(NOW) }),
        )
      ).code,
      'InvalidDBInstanceId.NotFound',
    );
    assert.equal(
      (
        await rejection(
          h.call('DescribeCrossRegionBackups', {
            RegionId: 'cn-hangzhou',
            DBInstanceId: 'rm-my',
            StartTime: seconds(NOW - DAY),
            EndTime: seconds(NOW),
            PageSize: 40,
          }),
        )
      ).code,
      'InvalidPageSize',
    );
  });

  it('DescribeResourceUsage: sizes in bytes, -1 for none', async () => {
    const body = await h.call('DescribeResourceUsage', { DBInstanceId: 'rm-my' });
    assert.equal(body.ColdBackupSize, -1);
    assert.equal(body.BackupDataSize, 0);
    assert.ok(Number(body.BackupLogSize) > 0, 'log backups take space');
  });
});
