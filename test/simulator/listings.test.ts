import assert from 'node:assert/strict';
import { World } from '../../simulator/world.js';
import { rejection, startHarness, type Harness } from './helpers.js';

type Row = Record<string, unknown>;
const HOUR = 3_600_000;
/**
 * A frozen clock at the start of the current minute. It must stay near real time: the server
 * checks pop-core's request Timestamp (real time) against the World clock.
 */
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const seconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const minutes = (ms: number): string => new Date(ms).toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

describe('simulator listings', () => {
  let h: Harness;
  let world: World;

  beforeEach(async () => {
    world = new World({ now: () => NOW, seed: 3 });
    h = await startHarness({ world, requestClock: Date.now });
  });
  afterEach(() => h.close());

  describe('DescribeBackups', () => {
    beforeEach(() => {
      world.addInstance('rm-a', { engine: 'MySQL', engineVersion: '8.0' });
      // 65 hourly sets, oldest first; set i started at NOW - (65 - i) hours.
      for (let i = 0; i < 65; i++) {
        const startTime = NOW - (65 - i) * HOUR;
        world.addBackupSet('rm-a', {
          backupId: String(1000 + i),
          startTime,
          endTime: startTime + 20 * 60_000,
          sizeBytes: 1000 + i,
          status: i % 10 === 0 ? 'Failed' : 'Success',
        });
      }
    });

    async function page(params: Record<string, string | number>): Promise<Row> {
      return h.call('DescribeBackups', { DBInstanceId: 'rm-a', ...params });
    }
    const ids = (body: Row): string[] => (body.Items as { Backup: Row[] }).Backup.map((b) => String(b.BackupId));

    it('pages by 30 by default: 65 sets → pages of 30, 30, 5 whose union is every set', async () => {
      const pages = [await page({}), await page({ PageNumber: 2 }), await page({ PageNumber: 3 })];
      assert.deepEqual(
        pages.map((p) => p.PageRecordCount),
        ['30', '30', '5'],
      );
      assert.deepEqual(
        pages.map((p) => p.TotalRecordCount),
        ['65', '65', '65'],
      );
      assert.deepEqual(
        pages.map((p) => p.PageNumber),
        ['1', '2', '3'],
      );
      const all = pages.flatMap(ids);
      assert.equal(new Set(all).size, 65);
      assert.deepEqual(
        [...all].sort(),
        world
          .backupSets('rm-a')
          .map((s) => s.backupId)
          .sort(),
      );
      assert.deepEqual(ids(await page({ PageNumber: 4 })), []);
      assert.equal((await page({ PageSize: 100 })).PageRecordCount, '65');
    });

    it('is not sorted by time, in either direction', async () => {
      const order = ids(await page({ PageSize: 100 }));
      const ascending = [...order].sort();
      assert.notDeepEqual(order, ascending);
      assert.notDeepEqual(order, [...ascending].reverse());
    });

    it('renders sets with string sizes and second-precision UTC times', async () => {
      const body = await page({ BackupId: '1064' });
      const [set] = (body.Items as { Backup: Row[] }).Backup;
      assert.deepEqual(
        { ...set, HostInstanceID: undefined },
        {
          BackupId: '1064',
          DBInstanceId: 'rm-a',
          BackupStatus: 'Success',
          BackupStartTime: seconds(NOW - HOUR),
          BackupEndTime: seconds(NOW - HOUR + 20 * 60_000),
          BackupSize: '1064',
          BackupMode: 'Automated',
          BackupMethod: 'Physical',
          BackupType: 'FullBackup',
          BackupScale: 'DBInstance',
          BackupInitiator: 'System',
          BackupLocation: 'OSS',
          StoreStatus: 'Disabled',
          Engine: 'MySQL',
          EngineVersion: '8.0',
          HostInstanceID: undefined,
          IsAvail: 1,
        },
      );
      assert.equal(body.TotalBackupSize, '1064');
    });

    it('filters on BackupStartTime within [StartTime, EndTime], inclusive', async () => {
      // Sets 60..64 started at NOW-5h .. NOW-1h.
      const body = await page({ StartTime: minutes(NOW - 5 * HOUR), EndTime: minutes(NOW - 3 * HOUR) });
      assert.deepEqual(ids(body).sort(), ['1060', '1061', '1062']);
      assert.deepEqual(ids(await page({ StartTime: minutes(NOW - 90 * 60_000) })), ['1064']);
      // Set 0 started at NOW-65h, set 16 at NOW-49h: 17 sets.
      assert.equal((await page({ EndTime: minutes(NOW - 49 * HOUR), PageSize: 100 })).TotalRecordCount, '17');
    });

    it('filters by status, mode, type and id', async () => {
      assert.equal((await page({ BackupStatus: 'Failed' })).TotalRecordCount, '7');
      assert.equal((await page({ BackupMode: 'Manual' })).TotalRecordCount, '0');
      assert.equal((await page({ BackupType: 'FullBackup' })).TotalRecordCount, '65');
      assert.deepEqual(ids(await page({ BackupId: '1007' })), ['1007']);
    });

    it('rejects malformed times and page sizes other than 30, 50, 100', async () => {
      assert.equal((await rejection(page({ StartTime: '2026-11-27T12:30:00Z' }))).code, 'InvalidStartTime.Malformed');
      assert.equal((await rejection(page({ EndTime: '2026-13-27T12:30Z' }))).code, 'InvalidEndTime.Malformed');
      assert.equal((await rejection(page({ PageSize: 20 }))).code, 'InvalidPageSize');
      assert.equal((await rejection(page({ PageNumber: 0 }))).code, 'InvalidPageNumber');
      assert.equal((await rejection(h.call('DescribeBackups', { DBInstanceId: 'rm-x' }))).code, 'InvalidDBInstanceId.NotFound');
    });

    it('numericFields sends counts and sizes as numbers', async () => {
      world.instance('rm-a')!.quirks.numericFields = true;
      const body = await page({ BackupId: '1010' });
      assert.equal(body.TotalRecordCount, 1);
      assert.equal(body.PageNumber, 1);
      assert.equal((body.Items as { Backup: Row[] }).Backup[0]?.BackupSize, 1010);
    });

    it('a backup of some databases says so (BackupScale Database, BackupDBNames), is smaller, and is neither copied nor restorable to', async () => {
      world.addInstance('rm-db', {
        sizes: { fullBytes: 1_000_000_000, growthPerDay: 0, noise: 0 },
        crossRegion: { enabled: true, logEnabled: false, region: 'cn-shanghai', retentionDays: 7 },
      });
      const job = world.addJob('rm-db', { mode: 'Manual', databases: ['orders', 'billing'] });
      world.finishJob('rm-db', job.jobId, 'Finished');
      const [set] = ((await h.call('DescribeBackups', { DBInstanceId: 'rm-db' })).Items as { Backup: Row[] }).Backup;
      assert.deepEqual([set?.BackupScale, set?.BackupDBNames, set?.BackupSize, set?.BackupType], ['Database', 'orders,billing', '150000000', 'FullBackup']);
      assert.deepEqual(world.crossRegionSets('rm-db'), [], 'not copied to the other region');
      const recovery = await h.call('DescribeLocalAvailableRecoveryTime', { DBInstanceId: 'rm-db' });
      assert.equal(recovery.RecoveryBeginTime, '', 'the instance cannot be restored from it');
      const whole = world.addBackupSet('rm-db', { endTime: NOW });
      const instanceSet = ((await h.call('DescribeBackups', { DBInstanceId: 'rm-db', BackupId: whole.backupId })).Items as { Backup: Row[] }).Backup[0];
      assert.deepEqual([instanceSet?.BackupScale, 'BackupDBNames' in (instanceSet ?? {}), instanceSet?.BackupSize], ['DBInstance', false, '1000000000']);
    });
  });

  describe('DescribeBackupPolicy', () => {
    it('reports the policy and the next window start on an allowed weekday', async () => {
      world.addInstance('rm-a', {
        policy: { preferredBackupTime: '15:00Z-16:00Z', preferredBackupPeriod: 'Monday,Wednesday', retentionDays: 14, logRetentionDays: 5 },
      });
      const body = await h.call('DescribeBackupPolicy', { DBInstanceId: 'rm-a' });
      assert.equal(body.PreferredBackupTime, '15:00Z-16:00Z');
      assert.equal(body.PreferredBackupPeriod, 'Monday,Wednesday');
      const next = new Date(String(body.PreferredNextBackupTime).replace('Z', ':00Z')).getTime();
      assert.match(String(body.PreferredNextBackupTime), /^\d{4}-\d{2}-\d{2}T15:00Z$/);
      assert.ok(next > NOW && next <= NOW + 7 * 24 * HOUR, 'next > NOW && next <= NOW + 7 * 24 * HOUR');
      assert.ok(['Monday', 'Wednesday'].includes(WEEKDAYS[new Date(next).getUTCDay()] ?? ''), 'the next backup falls on a scheduled weekday');
      // No allowed window start between now and the reported one.
      for (let t = next - 24 * HOUR; t > NOW; t -= 24 * HOUR) {
        assert.ok(!['Monday', 'Wednesday'].includes(WEEKDAYS[new Date(t).getUTCDay()] ?? ''), `missed ${minutes(t)}`);
      }
      assert.equal(body.BackupRetentionPeriod, 14);
      assert.equal(body.LogBackupRetentionPeriod, 5);
      assert.equal(body.EnableBackupLog, '1');
      world.addInstance('rm-daily');
      const daily = new Date(
        String((await h.call('DescribeBackupPolicy', { DBInstanceId: 'rm-daily' })).PreferredNextBackupTime).replace('Z', ':00Z'),
      ).getTime();
      assert.ok(daily > NOW && daily <= NOW + 24 * HOUR, 'daily > NOW && daily <= NOW + 24 * HOUR');
    });
  });

  describe('DescribeDBInstances', () => {
    beforeEach(() => {
      for (let i = 1; i <= 45; i++) {
        world.addInstance(`rm-${String(i).padStart(2, '0')}`, {
          engine: i % 3 === 0 ? 'PostgreSQL' : 'MySQL',
          ...(i % 5 === 0 ? { instanceType: 'Readonly', masterInstanceId: 'rm-01' } : {}),
          status: i === 7 ? 'Creating' : 'Running',
          tags: { env: i % 2 === 0 ? 'prod' : 'dev', n: String(i) },
        });
      }
      world.addInstance('rm-sh', { regionId: 'cn-shanghai' });
    });

    const ids = (body: Row): string[] => (body.Items as { DBInstance: Row[] }).DBInstance.map((i) => String(i.DBInstanceId));

    it('requires RegionId and pages 30 by default', async () => {
      assert.equal((await rejection(h.call('DescribeDBInstances', {}))).code, 'MissingParameter');
      const first = await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou' });
      const second = await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', PageNumber: 2 });
      assert.equal(first.TotalRecordCount, 45);
      assert.equal(first.PageRecordCount, 30);
      assert.equal(second.PageRecordCount, 15);
      assert.equal(new Set([...ids(first), ...ids(second)]).size, 45);
      assert.deepEqual(ids(await h.call('DescribeDBInstances', { RegionId: 'cn-shanghai' })), ['rm-sh']);
      assert.equal((await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', PageSize: 100 })).PageRecordCount, 45);
      assert.equal((await rejection(h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', PageSize: 101 }))).code, 'InvalidPageSize');
    });

    it("filters by comma-separated DBInstanceId: only those of the region that exist, in the listing's order", async () => {
      const body = await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', PageSize: 100, DBInstanceId: 'rm-30,rm-02, rm-sh,rm-nosuch,rm-02,rm-17' });
      assert.deepEqual(ids(body), ['rm-02', 'rm-17', 'rm-30']);
      assert.equal(body.TotalRecordCount, 3);
      world.removeInstance('rm-17');
      assert.deepEqual(ids(await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', DBInstanceId: 'rm-17,rm-30', Engine: 'PostgreSQL' })), ['rm-30']);
    });

    it('filters by Engine, DBInstanceStatus, DBInstanceType and Tags; never returns tags', async () => {
      const count = async (params: Record<string, string>): Promise<unknown> =>
        (await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', PageSize: 100, ...params })).TotalRecordCount;
      assert.equal(await count({ Engine: 'PostgreSQL' }), 15);
      assert.equal(await count({ DBInstanceStatus: 'Creating' }), 1);
      assert.equal(await count({ DBInstanceType: 'Readonly' }), 9);
      assert.equal(await count({ Tags: JSON.stringify({ env: 'prod' }) }), 22);
      assert.equal(await count({ Tags: JSON.stringify({ env: 'prod', n: '10' }) }), 1);
      assert.equal((await rejection(h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou', Tags: 'env=prod' }))).code, 'InvalidParameter');
      const [first] = ((await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou' })).Items as { DBInstance: Row[] }).DBInstance;
      assert.equal(first?.DBInstanceType, 'Primary');
      assert.equal(first?.Engine, 'MySQL');
      assert.equal(
        Object.keys(first ?? {}).some((k) => /tag/i.test(k)),
        false,
      );
    });
  });

  describe('ListTagResources', () => {
    beforeEach(() => {
      for (let i = 1; i <= 12; i++) {
        world.addInstance(`rm-${i}`, { tags: { env: i <= 6 ? 'prod' : 'dev', team: `t${i}`, owner: 'dba' } });
      }
    });

    async function allPages(params: Record<string, unknown>): Promise<{ pages: number; rows: Row[] }> {
      const rows: Row[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const body = await h.call('ListTagResources', { RegionId: 'cn-hangzhou', ResourceType: 'INSTANCE', ...params, ...(token ? { NextToken: token } : {}) });
        rows.push(...(body.TagResources as { TagResource: Row[] }).TagResource);
        token = body.NextToken as string | undefined;
        pages++;
      } while (token);
      return { pages, rows };
    }

    it('pages 20 tag pairs at a time with NextToken until every pair is returned', async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `rm-${i + 1}`);
      const { pages, rows } = await allPages({ ResourceId: ids });
      assert.equal(pages, 2);
      assert.equal(rows.length, 36);
      assert.deepEqual({ ...rows[0] }, { ResourceId: 'rm-1', ResourceType: 'ALIYUN::RDS::INSTANCE', TagKey: 'env', TagValue: 'prod' });
      assert.equal(new Set(rows.map((r) => `${r.ResourceId}/${r.TagKey}`)).size, 36);
    });

    it('narrows by ResourceId.N and by Tag.N', async () => {
      const { rows } = await allPages({ ResourceId: ['rm-2', 'rm-9'] });
      assert.deepEqual([...new Set(rows.map((r) => r.ResourceId))], ['rm-2', 'rm-9']);
      const tagged = await allPages({ Tag: [{ Key: 'env', Value: 'dev' }] });
      assert.deepEqual([...new Set(tagged.rows.map((r) => r.ResourceId))], ['rm-7', 'rm-8', 'rm-9', 'rm-10', 'rm-11', 'rm-12']);
    });

    it('rejects more than 50 ResourceId.N, a bad ResourceType and a bad NextToken', async () => {
      const many = Array.from({ length: 51 }, (_, i) => `rm-${i}`);
      assert.match(
        String((await rejection(h.call('ListTagResources', { RegionId: 'cn-hangzhou', ResourceType: 'INSTANCE', ResourceId: many }))).code),
        /^InvalidParameter/,
      );
      assert.equal(
        (await rejection(h.call('ListTagResources', { RegionId: 'cn-hangzhou', ResourceType: 'VPC', ResourceId: ['rm-1'] }))).code,
        'InvalidParameter',
      );
      assert.equal(
        (await rejection(h.call('ListTagResources', { RegionId: 'cn-hangzhou', ResourceType: 'INSTANCE', ResourceId: ['rm-1'], NextToken: 'bogus' }))).code,
        'InvalidNextToken',
      );
    });
  });

  describe('DescribeRegions', () => {
    it("lists one entry per zone, so region ids repeat, including the instances' regions", async () => {
      world.addInstance('rm-fra', { regionId: 'eu-central-1', zoneId: 'eu-central-1b' });
      const body = await h.call('DescribeRegions');
      const entries = (body.Regions as { RDSRegion: Row[] }).RDSRegion;
      const regions = entries.map((e) => e.RegionId);
      assert.ok(regions.filter((r) => r === 'cn-hangzhou').length > 1, "regions.filter((r) => r === 'cn-hangzhou').length > 1");
      assert.ok(
        entries.some((e) => e.ZoneId === 'eu-central-1b'),
        "entries.some((e) => e.ZoneId === 'eu-central-1b')",
      );
      assert.equal(entries.find((e) => e.RegionId === 'eu-central-1')?.RegionEndpoint, 'rds.eu-central-1.aliyuncs.com');
      assert.equal(entries.find((e) => e.RegionId === 'cn-hangzhou')?.RegionEndpoint, 'rds.aliyuncs.com');
    });
  });
});
