/**
 * The demo account: a small, realistic RDS estate with a few days of backup history and live
 * backup traffic, so `npm run demo` shows meaningful metrics without a cloud account.
 */
import { DEMO_CREDENTIAL, startSimulator, type Simulator } from './server.js';
import type { World } from './world.js';

const DAY_MS = 24 * 60 * 60_000;
const GIB = 1024 ** 3;

/**
 * Demo pacing: fast enough to watch a task move through its phases within a minute. Each task
 * stands for a day's backup, so an instance keeps its newest retention-days of sets and its
 * backup storage stays within the free quota however long the demo runs.
 */
export const DEMO_AUTOPILOT = { stepMs: 3_000, newJobEveryMs: 8_000, failureRate: 0.2, taskIsADay: true } as const;

/** An instance of the demo, and the time after which it took no backup (it stopped, expired, ...). */
type DemoInstance = NonNullable<Parameters<World['addInstance']>[1]> & { id: string; backupsUntil?: number };

/** The four established primaries that back up every night. */
const DEMO_INSTANCES: readonly DemoInstance[] = [
  {
    id: 'rm-demo-mysql-01',
    regionId: 'cn-hangzhou',
    zoneId: 'cn-hangzhou-h',
    engine: 'MySQL',
    engineVersion: '8.0',
    description: 'payments primary',
    instanceClass: 'mysql.n4.large.2c',
    tags: { env: 'prod', team: 'payments' },
    policy: {
      preferredBackupTime: '18:00Z-19:00Z',
      preferredBackupPeriod: 'Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday',
      retentionDays: 14,
      logRetentionDays: 14,
    },
    // copied to Shanghai, but the copies stopped two days ago (DEMO_STALE_CROSS_REGION_INSTANCE)
    crossRegion: { enabled: true, logEnabled: true, region: 'cn-shanghai', retentionDays: 30 },
    logs: { hosts: ['5841973', '5841974'] },
    // 14 fulls and 14 days of binlogs on two hosts: about 120 GiB, under the free 250 GiB
    sizes: { fullBytes: 6 * GIB },
    storageBytes: 500 * GIB,
  },
  {
    id: 'rm-demo-mysql-02',
    regionId: 'cn-hangzhou',
    zoneId: 'cn-hangzhou-i',
    engine: 'MySQL',
    engineVersion: '5.7',
    description: 'orders staging',
    instanceClass: 'rds.mysql.s2.large',
    tags: { env: 'staging', team: 'orders' },
    policy: { preferredBackupTime: '15:00Z-16:00Z', preferredBackupPeriod: 'Monday,Wednesday,Friday,Sunday', retentionDays: 7, logRetentionDays: 7 },
    sizes: { fullBytes: 3 * GIB },
  },
  {
    id: 'pgm-demo-pg-01',
    regionId: 'cn-shanghai',
    zoneId: 'cn-shanghai-l',
    engine: 'PostgreSQL',
    engineVersion: '15.0',
    description: 'analytics warehouse',
    instanceClass: 'pg.n2.2c.2m',
    tags: { env: 'prod', team: 'analytics' },
    policy: {
      preferredBackupTime: '20:00Z-21:00Z',
      preferredBackupPeriod: 'Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday',
      retentionDays: 30,
      logRetentionDays: 7,
    },
    crossRegion: { enabled: true, logEnabled: false, region: 'cn-beijing', retentionDays: 7 },
    sizes: { fullBytes: 4 * GIB },
    storageBytes: 400 * GIB,
  },
  {
    id: 'rm-demo-mssql-01',
    regionId: 'cn-shanghai',
    zoneId: 'cn-shanghai-b',
    engine: 'SQLServer',
    engineVersion: '2019_std_ha',
    description: 'erp',
    instanceClass: 'mssql.x4.medium.s2',
    tags: { env: 'prod', team: 'erp' },
    policy: { preferredBackupTime: '02:00Z-03:00Z', preferredBackupPeriod: 'Tuesday,Thursday,Saturday', retentionDays: 7, logRetentionDays: 7 },
    sizes: { fullBytes: 10 * GIB },
    storageBytes: 250 * GIB,
  },
];

/** A read-only replica of rm-demo-mysql-01: no backups of its own, no backup policy. */
export const DEMO_REPLICA_INSTANCE = 'rr-demo-mysql-01';
/** An instance stopped two days ago: history until then, no backup since. */
export const DEMO_STOPPED_INSTANCE = 'rm-demo-stopped-01';
/** A subscription that expired three days ago: locked (LockByExpiration), no backup since. */
export const DEMO_EXPIRED_INSTANCE = 'rm-demo-expired-01';
/** An instance created ten minutes before the demo started: no backup yet, its first window still ahead. */
export const DEMO_NEW_INSTANCE = 'rm-demo-new-01';

/** The instances that take no backups now, each for its own reason: nothing about them is late. */
function quietInstances(now: number): DemoInstance[] {
  const stoppedAt = now - 2 * DAY_MS;
  const expiredAt = now - 3 * DAY_MS;
  return [
    {
      id: DEMO_REPLICA_INSTANCE,
      regionId: 'cn-hangzhou',
      zoneId: 'cn-hangzhou-h',
      engine: 'MySQL',
      engineVersion: '8.0',
      description: 'payments read replica',
      instanceType: 'Readonly',
      masterInstanceId: 'rm-demo-mysql-01',
      category: 'Basic',
      instanceClass: 'mysqlro.n2.large.1c',
      tags: { env: 'prod', team: 'payments' },
    },
    {
      id: DEMO_STOPPED_INSTANCE,
      regionId: 'cn-shanghai',
      zoneId: 'cn-shanghai-l',
      engine: 'MySQL',
      engineVersion: '8.0',
      description: 'quarterly reporting (stopped between runs)',
      status: 'Stopped',
      category: 'Basic',
      instanceClass: 'mysql.n2.medium.1',
      tags: { env: 'prod', team: 'finance' },
      policy: { preferredBackupTime: '19:00Z-20:00Z' },
      logs: { stoppedAt },
      backupsUntil: stoppedAt,
      sizes: { fullBytes: 2 * GIB },
    },
    {
      id: DEMO_EXPIRED_INSTANCE,
      regionId: 'cn-shanghai',
      zoneId: 'cn-shanghai-b',
      engine: 'PostgreSQL',
      engineVersion: '14.0',
      description: 'marketing (subscription expired)',
      lockMode: 'LockByExpiration',
      expiresAt: expiredAt,
      instanceClass: 'pg.n2.small.2c',
      tags: { env: 'prod', team: 'marketing' },
      policy: { preferredBackupTime: '21:00Z-22:00Z' },
      logs: { stoppedAt: expiredAt },
      backupsUntil: expiredAt,
      sizes: { fullBytes: 2 * GIB },
    },
    {
      id: DEMO_NEW_INSTANCE,
      regionId: 'cn-shanghai',
      zoneId: 'cn-shanghai-l',
      engine: 'MySQL',
      engineVersion: '8.0',
      description: 'checkout (new)',
      createdAt: now - 10 * 60_000,
      sizes: { fullBytes: GIB },
      instanceClass: 'mysql.n4.medium.2c',
      tags: { env: 'prod', team: 'checkout' },
      // the first window is tomorrow at the earliest: a window that started before creation counts from the next day
      policy: { preferredBackupTime: formatWindow(now - 10 * 60_000 - 3_600_000) },
    },
  ];
}

/** The one-hour window starting at the hour of `ms` (UTC), e.g. "15:00Z-16:00Z". */
function formatWindow(ms: number): string {
  const hour = new Date(ms).getUTCHours();
  const hh = (h: number): string => `${String(h % 24).padStart(2, '0')}:00Z`;
  return `${hh(hour)}-${hh(hour + 1)}`;
}

/** The instance whose most recent backup failed, so the demo shows a firing alert. */
export const DEMO_FAILED_INSTANCE = 'rm-demo-mysql-02';
/** The instance whose log chain has a gap (three hours of WAL missing, yesterday): no point-in-time restore across it. */
export const DEMO_LOG_GAP_INSTANCE = 'pgm-demo-pg-01';
/** The instance whose cross-region copies stopped two days ago. */
export const DEMO_STALE_CROSS_REGION_INSTANCE = 'rm-demo-mysql-01';

/**
 * Adds the demo instances and four days of nightly history to `world` (and today's, once its
 * window is over): for each instance that backed up then (not the replica, not before creation,
 * not after it stopped or expired). The failed instance's newest nightly backup failed.
 */
export function seedDemoWorld(world: World, days = 4): void {
  const now = world.now();
  for (const { id, backupsUntil, ...init } of [...DEMO_INSTANCES, ...quietInstances(now)]) {
    const instance = world.addInstance(id, init);
    if (instance.instanceType === 'Readonly') continue;
    const hour = Number(init.policy?.preferredBackupTime?.slice(0, 2) ?? 15);
    const startOfToday = now - (now % DAY_MS);
    // Every nightly window that has ended by now: the last `days` days', and today's once it is over.
    const nights: Array<{ daysAgo: number; startTime: number; endTime: number }> = [];
    for (let daysAgo = days; daysAgo >= 0; daysAgo--) {
      const startTime = startOfToday - daysAgo * DAY_MS + hour * 3_600_000 + ((daysAgo * 7) % 30) * 60_000;
      const endTime = startTime + (12 + ((daysAgo * 11) % 25)) * 60_000;
      if (startTime >= instance.createdAt && startTime <= (backupsUntil ?? now) && endTime <= now) nights.push({ daysAgo, startTime, endTime });
    }
    for (const [i, { daysAgo, startTime, endTime }] of nights.entries()) {
      // The copies of the stale instance stop after the backup of three days ago.
      if (id === DEMO_STALE_CROSS_REGION_INSTANCE && daysAgo === 2) world.stallCrossRegionCopies(id);
      const failed = id === DEMO_FAILED_INSTANCE && i === nights.length - 1;
      world.addBackupSet(id, { startTime, endTime, status: failed ? 'Failed' : 'Success', ...(failed ? { sizeBytes: 0 } : {}) });
    }
  }
  world.breakLogChain(DEMO_LOG_GAP_INSTANCE, now - 30 * 3_600_000, now - 27 * 3_600_000);
  // One task already running so the first scrape has something in flight.
  const running = world.addJob('rm-demo-mysql-01', { status: 'Uploading', process: 35 });
  running.startedAt = now - 4 * 60_000;
}

/** Starts the simulator with DEMO_CREDENTIAL, the demo world and the autopilot running. */
export async function startDemoSimulator(opts: { port?: number; host?: string; seed?: number } = {}): Promise<Simulator> {
  const sim = await startSimulator({ ...opts, credentials: [DEMO_CREDENTIAL] });
  seedDemoWorld(sim.world);
  sim.autopilot(DEMO_AUTOPILOT);
  return sim;
}
