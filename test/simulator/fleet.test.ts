// The fleet facts that decide whether backups are expected, as DescribeDBInstances and
// DescribeDBInstanceAttribute give them: edition, lock, creation time, status, type and
// replication; and the answers a read-only replica, a stopped, locked or brand-new instance gets.
import assert from 'node:assert/strict';
import { World } from '../../simulator/world.js';
import { rejection, startHarness, type Harness } from './helpers.js';

type Row = Record<string, unknown>;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A frozen clock near real time; requests are checked against the real clock (the suite may reach this file long after loading it). */
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
/** pop-core parses bodies into null-prototype objects; deepEqual wants plain ones. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const seconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('simulator fleet facts', () => {
  let h: Harness;
  let world: World;

  beforeEach(async () => {
    world = new World({ now: () => NOW, seed: 5 });
    world.addInstance('rm-primary', { category: 'HighAvailability' });
    world.addInstance('rr-replica', { instanceType: 'Readonly', masterInstanceId: 'rm-primary', category: 'Basic' });
    world.addInstance('rm-stopped', { status: 'Stopped', category: 'Basic' });
    world.addInstance('rm-creating', { status: 'Creating', createdAt: NOW - 3 * MINUTE });
    world.addInstance('rm-expired', { lockMode: 'LockByExpiration' });
    world.addInstance('rm-diskfull', { lockMode: 'LockByDiskQuota' });
    world.addInstance('rm-new', { createdAt: NOW - 10 * MINUTE, policy: { preferredBackupTime: '23:59Z-00:59Z' } });
    for (const id of ['rm-primary', 'rm-stopped', 'rm-expired']) world.addBackupSet(id, { endTime: NOW - DAY });
    h = await startHarness({ world, requestClock: Date.now });
  });
  afterEach(() => h.close());

  const listed = async (params: Record<string, string> = {}): Promise<Map<string, Row>> => {
    const body = await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', PageSize: 100, ...params });
    return new Map((body.Items as { DBInstance: Row[] }).DBInstance.map((row) => [String(row.DBInstanceId), row]));
  };

  it('DescribeDBInstances gives Category, LockMode, LockReason, CreateTime, DBInstanceStatus and DBInstanceType as configured', async () => {
    const rows = await listed();
    const facts = (id: string) => {
      const { Category, LockMode, LockReason, CreateTime, DBInstanceStatus, DBInstanceType } = rows.get(id)!;
      return { Category, LockMode, LockReason, CreateTime, DBInstanceStatus, DBInstanceType };
    };
    const established = '2024-03-01T08:00:00Z';
    assert.deepEqual(facts('rm-primary'), {
      Category: 'HighAvailability',
      LockMode: 'Unlock',
      LockReason: '',
      CreateTime: established,
      DBInstanceStatus: 'Running',
      DBInstanceType: 'Primary',
    });
    assert.deepEqual(facts('rr-replica'), {
      Category: 'Basic',
      LockMode: 'Unlock',
      LockReason: '',
      CreateTime: established,
      DBInstanceStatus: 'Running',
      DBInstanceType: 'Readonly',
    });
    assert.deepEqual(facts('rm-stopped'), {
      Category: 'Basic',
      LockMode: 'Unlock',
      LockReason: '',
      CreateTime: established,
      DBInstanceStatus: 'Stopped',
      DBInstanceType: 'Primary',
    });
    assert.deepEqual(facts('rm-creating'), {
      Category: 'HighAvailability',
      LockMode: 'Unlock',
      LockReason: '',
      CreateTime: seconds(NOW - 3 * MINUTE),
      DBInstanceStatus: 'Creating',
      DBInstanceType: 'Primary',
    });
    assert.deepEqual(facts('rm-expired'), {
      Category: 'HighAvailability',
      LockMode: 'LockByExpiration',
      LockReason: 'instance_expired',
      CreateTime: established,
      DBInstanceStatus: 'Running',
      DBInstanceType: 'Primary',
    });
    assert.equal(facts('rm-diskfull').LockMode, 'LockByDiskQuota');
    assert.equal(facts('rm-new').CreateTime, seconds(NOW - 10 * MINUTE));
    assert.ok(Date.parse(String(rows.get('rm-expired')!.ExpireTime)) < NOW, 'an instance locked by expiration expired in the past');
    assert.ok(Date.parse(String(rows.get('rm-primary')!.ExpireTime)) > NOW, 'a running subscription expires in the future');
  });

  it('a replica names its primary in MasterInstanceId; the primary lists it in ReadOnlyDBInstanceIds', async () => {
    const rows = await listed();
    assert.equal(rows.get('rr-replica')!.MasterInstanceId, 'rm-primary');
    assert.deepEqual(plain(rows.get('rm-primary')!.ReadOnlyDBInstanceIds), { ReadOnlyDBInstanceId: [{ DBInstanceId: 'rr-replica' }] });
    assert.equal('MasterInstanceId' in rows.get('rm-primary')!, false, 'a primary has no MasterInstanceId');
    assert.equal('ReadOnlyDBInstanceIds' in rows.get('rm-stopped')!, false, 'nor a primary without replicas a replica list');
    assert.deepEqual([...(await listed({ DBInstanceType: 'Readonly' })).keys()], ['rr-replica']);
    assert.deepEqual([...(await listed({ Category: 'Basic' })).keys()], ['rr-replica', 'rm-stopped']);
    world.removeInstance('rr-replica');
    assert.equal('ReadOnlyDBInstanceIds' in (await listed()).get('rm-primary')!, false, 'a released replica leaves the list');
  });

  it('DescribeDBInstanceAttribute gives the same facts by id (CreationTime there), leaving unknown ids out', async () => {
    const body = await h.call('DescribeDBInstanceAttribute', { DBInstanceId: 'rr-replica,rm-nosuch,rm-expired' });
    const rows = (body.Items as { DBInstanceAttribute: Row[] }).DBInstanceAttribute;
    assert.deepEqual(
      rows.map((r) => [r.DBInstanceId, r.DBInstanceType, r.MasterInstanceId, r.LockMode, r.Category, r.CreationTime, r.DBInstanceStatus]),
      [
        ['rr-replica', 'Readonly', 'rm-primary', 'Unlock', 'Basic', '2024-03-01T08:00:00Z', 'Running'],
        ['rm-expired', 'Primary', undefined, 'LockByExpiration', 'HighAvailability', '2024-03-01T08:00:00Z', 'Running'],
      ],
    );
    assert.equal((await rejection(h.call('DescribeDBInstanceAttribute', { DBInstanceId: 'rm-nosuch' }))).code, 'InvalidDBInstanceId.NotFound');
    assert.equal((await rejection(h.call('DescribeDBInstanceAttribute', {}))).code, 'MissingParameter');
  });

  it('a read-only replica has no backups, tasks or log files of its own, and no backup policy', async () => {
    const backups = await h.call('DescribeBackups', { DBInstanceId: 'rr-replica' });
    assert.deepEqual([backups.TotalRecordCount, (backups.Items as { Backup: Row[] }).Backup], ['0', []]);
    assert.deepEqual(plain((await h.call('DescribeBackupTasks', { DBInstanceId: 'rr-replica' })).Items), { BackupJob: [] });
    const refused = await rejection(h.call('DescribeBackupPolicy', { DBInstanceId: 'rr-replica' }));
    assert.equal(refused.code, 'IncorrectDBInstanceType');
    assert.equal((refused.data as Row).Code, 'IncorrectDBInstanceType');
    assert.deepEqual(world.logFiles('rr-replica'), []);
    assert.throws(() => world.addBackupSet('rr-replica', { endTime: NOW }), /read-only instance/);
    assert.throws(() => world.addJob('rr-replica'), /read-only instance/);
    assert.throws(() => world.addInstance('rr-orphan', { instanceType: 'Readonly' }), /needs masterInstanceId/);
    assert.throws(() => world.addInstance('rr-chained', { instanceType: 'Readonly', masterInstanceId: 'rr-replica' }), /needs masterInstanceId/);
    assert.throws(() => world.addInstance('rm-odd', { masterInstanceId: 'rm-primary' }), /only a Readonly instance/);
  });

  it('stopped, creating and locked instances keep answering (policy, history) but take no backups', async () => {
    assert.deepEqual(
      world.instances().map((i) => [i.id, world.takesBackups(i.id)]),
      [
        ['rm-primary', true],
        ['rr-replica', false],
        ['rm-stopped', false],
        ['rm-creating', false],
        ['rm-expired', false],
        ['rm-diskfull', false],
        ['rm-new', true],
      ],
    );
    for (const id of ['rm-stopped', 'rm-expired']) {
      assert.equal((await h.call('DescribeBackups', { DBInstanceId: id })).TotalRecordCount, '1', `${id} keeps its history`);
      assert.ok((await h.call('DescribeBackupPolicy', { DBInstanceId: id })).PreferredBackupTime, `${id} has a policy`);
    }
  });

  it('a brand-new instance has no backup and no log file from before it was created, and has not met its first window', async () => {
    assert.equal((await h.call('DescribeBackups', { DBInstanceId: 'rm-new' })).TotalRecordCount, '0');
    assert.ok(
      world.logFiles('rm-new').every((f) => f.beginMs >= NOW - 10 * MINUTE),
      'no log file before creation',
    );
    assert.equal(world.pastFirstWindow('rm-new'), world.nextBackupTime('rm-new', NOW - 10 * MINUTE) <= NOW);
    assert.equal(world.pastFirstWindow('rm-primary'), true);
    const recovery = await h.call('DescribeLocalAvailableRecoveryTime', { DBInstanceId: 'rm-new' });
    assert.deepEqual([recovery.RecoveryBeginTime, recovery.RecoveryEndTime], ['', '']);
  });

  it('the autopilot starts tasks only on instances that back up and have met their first window', async () => {
    const fresh = new World({ seed: 2 });
    fresh.addInstance('rm-primary');
    fresh.addInstance('rr-replica', { instanceType: 'Readonly', masterInstanceId: 'rm-primary' });
    fresh.addInstance('rm-stopped', { status: 'Stopped' });
    fresh.addInstance('rm-locked', { lockMode: 'LockByDiskQuota' });
    // Created now, first window a day away at the earliest (the window starts at this very minute tomorrow or later).
    const inAMinute = new Date(Date.now() + MINUTE);
    const window = `${String(inAMinute.getUTCHours()).padStart(2, '0')}:${String(inAMinute.getUTCMinutes()).padStart(2, '0')}Z`;
    fresh.addInstance('rm-new', { createdAt: Date.now() + MINUTE, policy: { preferredBackupTime: `${window}-${window}` } });
    const sim = await startHarness({ world: fresh, seed: 4 });
    try {
      sim.sim.autopilot({ stepMs: 2, newJobEveryMs: 3, failureRate: 0 });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await sim.close();
    }
    assert.ok(fresh.backupSets('rm-primary').length >= 2, 'the running primary backs up');
    for (const id of ['rr-replica', 'rm-stopped', 'rm-locked', 'rm-new']) {
      assert.deepEqual([fresh.backupSets(id).length, fresh.listedJobs(id).length], [0, 0], `${id} took no backup`);
    }
  });
});
