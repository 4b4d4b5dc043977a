/**
 * The simulator's in-memory model of an RDS account: instances, their backup tasks and the
 * backup sets those tasks leave behind. No HTTP here: the server (server.ts) renders this
 * state the way the real API does, and tests drive it directly (add a job, step it, fail it).
 *
 * The one behaviour everything else hinges on: a task is *listed* by DescribeBackupTasks only
 * while it has not finished. Once it finishes or fails it leaves the listing, stays answerable
 * by BackupJobId, and shows up as a backup set in DescribeBackups.
 *
 * Not every instance backs up: a read-only replica has no backups of its own (its primary's
 * are the backups), and a Stopped, Creating or locked instance takes none (takesBackups()).
 */
import { fnv1a, Random } from './random.js';

export type BackupStatus = 'NoStart' | 'Checking' | 'Preparing' | 'Waiting' | 'Uploading' | 'Finished' | 'Failed';

export interface Quirks {
  /** DescribeBackupTasks: BackupJobId/BackupId as JSON numbers (the published example does this). */
  idsAsNumbers?: boolean;
  /** DescribeBackupTasks: no `BackupStatus` on tasks that have not finished. */
  omitBackupStatus?: boolean;
  /** DescribeBackupTasks: `Items.BackupJob` is a bare object when there is exactly one task. */
  singleObject?: boolean;
  /** DescribeBackups: sizes/counts as numbers instead of strings. */
  numericFields?: boolean;
}

export interface SimPolicy {
  /** Backup window, e.g. "15:00Z-16:00Z". */
  preferredBackupTime: string;
  /** Comma-separated English weekdays, e.g. "Monday,Wednesday,Friday,Sunday". */
  preferredBackupPeriod: string;
  retentionDays: number;
  logRetentionDays: number;
  /** BackupLog Enable/Disabled (and EnableBackupLog 1/0) */
  logBackupEnabled: boolean;
  /** what the API sends: None, `Lastest` (sic) or All */
  releasedKeepPolicy: 'None' | 'Lastest' | 'All';
  highSpaceUsageProtection: 'Enable' | 'Disable';
  /** CompressType code as a string: 0, 1, 2, 4, 8 */
  compressType: string;
  archiveRetentionDays: number;
}

/** How the service writes and uploads an instance's log backup files (binlogs, WAL, SQL Server log backups). */
export interface SimLogs {
  /** a new file starts every this many ms, the previous ending then (a rotation) */
  fileEveryMs: number;
  /** HostInstanceID of each host that uploads files (primary, secondary) */
  hosts: string[];
  /** a file that ended less than this long ago is still `Uploading` */
  uploadLagMs: number;
  /** ranges with no file: a broken chain (per host, or every host when `host` is absent) */
  gaps: Array<{ host?: string; fromMs: number; toMs: number }>;
  /** no file ends after this (log backups stopped); undefined = they go on */
  stoppedAt?: number;
  /** no file starts before this (log backup turned on then); undefined = the whole retention */
  sinceMs?: number;
  /** bytes of log written per second, on average (each file varies from half to one and a half times) */
  bytesPerSecond: number;
}

/**
 * How big the instance's backups are: a full backup follows a slowly growing trend with a little
 * noise (as a real database's does), an incremental one is a few per cent of it.
 */
export interface SimSizes {
  /** size of a full backup taken at `atMs`, bytes */
  fullBytes: number;
  /** ms epoch; default when the instance was added to the World */
  atMs: number;
  /** growth of the data per day, e.g. 0.002 = +0.2 % a day */
  growthPerDay: number;
  /** each backup lies within ± this share of the trend, e.g. 0.01 */
  noise: number;
}

/** Cross-region backup settings (DescribeCrossRegionBackupDBInstance). */
export interface SimCrossRegion {
  enabled: boolean;
  logEnabled: boolean;
  region: string;
  retentionDays: number;
  /** copies are no longer made (the demo's stale copy) */
  stalled?: boolean;
}

export interface SimCrossRegionSet {
  crossBackupId: number;
  instanceId: string;
  backupId: string;
  /** BackupSetStatus: 0 success, 1 failed */
  status: 0 | 1;
  startTime: number;
  endTime: number;
  region: string;
  sizeBytes: number;
}

export type InstanceType = 'Primary' | 'Readonly' | 'Guard' | 'Temp';

export interface SimInstance {
  id: string;
  regionId: string;
  engine: string;
  engineVersion: string;
  description: string;
  /** DBInstanceType. A `Readonly` instance names its primary in `masterInstanceId`. */
  instanceType: InstanceType;
  /** MasterInstanceId: the primary a read-only replica follows (only on `Readonly` instances). */
  masterInstanceId?: string;
  zoneId: string;
  /** DBInstanceStatus: Running, Creating, Stopped, Deleting, Restoring, ... */
  status: string;
  /** Category, the RDS edition: Basic, HighAvailability, AlwaysOn, Finance, cluster, serverless_basic */
  category: string;
  /** LockMode: Unlock, ManualLock, LockByExpiration, LockByRestoration, LockByDiskQuota, ... */
  lockMode: string;
  /** LockReason as the API words it; '' while Unlock */
  lockReason: string;
  /** CreateTime, ms epoch */
  createdAt: number;
  /** ExpireTime of a subscription, ms epoch; a LockByExpiration instance's lies in the past */
  expiresAt: number;
  instanceClass: string;
  tags: Record<string, string>;
  quirks: Quirks;
  policy: SimPolicy;
  logs: SimLogs;
  /** undefined: never set up (the service leaves it out of DescribeCrossRegionBackupDBInstance) */
  crossRegion?: SimCrossRegion;
  /** purchased storage; half of it is the free backup quota */
  storageBytes: number;
  sizes: SimSizes;
}

export interface SimJob {
  jobId: string;
  instanceId: string;
  backupId: string;
  mode: 'Automated' | 'Manual';
  taskAction: 'NormalBackupTask' | 'TempBackupTask';
  /** undefined = the service has not reported a status yet (the field is absent). */
  status: BackupStatus | undefined;
  progressStatus: string;
  /** Percent, 0-100. */
  process: number;
  /** ms epoch */
  startedAt: number;
  endedAt?: number;
  outcome?: 'Finished' | 'Failed';
  backupType: 'FullBackup' | 'IncrementalBackup';
  backupMethod: 'Physical' | 'Logical' | 'Snapshot';
  sizeBytes: number;
  /** A backup of these databases only (CreateBackup with BackupStrategy db); absent = the whole instance. */
  databases?: string[];
  /** The service no longer knows the task at all, not even by id. */
  forgotten?: boolean;
}

export interface SimBackupSet {
  backupId: string;
  instanceId: string;
  status: 'Success' | 'Failed';
  /** ms epoch */
  startTime: number;
  /** ms epoch */
  endTime: number;
  sizeBytes: number;
  mode: 'Automated' | 'Manual';
  method: string;
  type: 'FullBackup' | 'IncrementalBackup';
  initiator: string;
  engine: string;
  engineVersion: string;
  /** The databases a backup of some databases covers; absent = the whole instance. */
  databases?: string[];
}

export interface WorldOptions {
  /** ms epoch; default Date.now. Tests pass a controllable clock. */
  now?: () => number;
  /** Seed for the deterministic RNG behind progress steps and failures; default 1. (Sizes follow SimSizes.) */
  seed?: number;
  /** Probability that a task finishing through step() fails; default 0. */
  failureRate?: number;
}

const FIRST_JOB_ID = 4762614;
const FIRST_BACKUP_ID = 346650271;
const ALL_WEEKDAYS = 'Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday';
const GIB = 1024 ** 3;
const DAY_MS = 24 * 3600_000;
/** CreateTime of an instance that does not say: an established one, long before any test's history. */
const ESTABLISHED_AT = Date.UTC(2024, 2, 1, 8);
/** LockReason per LockMode where the reference shows one. */
const LOCK_REASONS: Readonly<Record<string, string>> = { LockByExpiration: 'instance_expired' };

export class World {
  /** Probability that a task finishing through step() ends Failed. The demo's autopilot sets it. */
  failureRate: number;

  private readonly clock: () => number;
  private readonly random: Random;
  private readonly instancesById = new Map<string, SimInstance>();
  /** primary id → the ids of its read-only replicas, in the order they were added */
  private readonly replicasByMaster = new Map<string, string[]>();
  /** each instance's rank in instancesById, for instancesAmong() */
  private readonly addedAt = new Map<string, number>();
  private added = 0;
  /** Per instance, jobs by id in creation order; finished and forgotten ones are kept. */
  private readonly jobsByInstance = new Map<string, Map<string, SimJob>>();
  private readonly setsByInstance = new Map<string, SimBackupSet[]>();
  private readonly pendingFailures = new Map<string, number>();
  private readonly crossRegionSetsByInstance = new Map<string, SimCrossRegionSet[]>();
  private nextCrossBackupId = 14377;
  private nextJobNumber = FIRST_JOB_ID;
  private nextBackupNumber = FIRST_BACKUP_ID;

  constructor(opts: WorldOptions = {}) {
    this.clock = opts.now ?? Date.now;
    this.random = new Random(opts.seed ?? 1);
    this.failureRate = opts.failureRate ?? 0;
  }

  now(): number {
    return this.clock();
  }

  addInstance(
    id: string,
    init: Partial<Omit<SimInstance, 'id' | 'policy' | 'logs' | 'sizes'>> & {
      policy?: Partial<SimPolicy>;
      logs?: Partial<SimLogs>;
      sizes?: Partial<SimSizes>;
    } = {},
  ): SimInstance {
    if (this.instancesById.has(id)) {
      throw new Error(`instance ${id} already exists`);
    }
    const regionId = init.regionId ?? 'cn-hangzhou';
    const instanceType = init.instanceType ?? 'Primary';
    if (instanceType === 'Readonly') {
      const master = init.masterInstanceId === undefined ? undefined : this.instancesById.get(init.masterInstanceId);
      if (master?.instanceType !== 'Primary' || master.regionId !== regionId) {
        throw new Error(`read-only instance ${id} needs masterInstanceId: a primary in ${regionId}`);
      }
    } else if (init.masterInstanceId !== undefined) {
      throw new Error(`only a Readonly instance has a masterInstanceId (${id} is ${instanceType})`);
    }
    const lockMode = init.lockMode ?? 'Unlock';
    const now = this.now();
    const instance: SimInstance = {
      id,
      regionId,
      engine: init.engine ?? 'MySQL',
      engineVersion: init.engineVersion ?? '8.0',
      description: init.description ?? id,
      instanceType,
      ...(init.masterInstanceId === undefined ? {} : { masterInstanceId: init.masterInstanceId }),
      zoneId: init.zoneId ?? `${regionId}-h`,
      status: init.status ?? 'Running',
      category: init.category ?? 'HighAvailability',
      lockMode,
      lockReason: init.lockReason ?? LOCK_REASONS[lockMode] ?? '',
      createdAt: init.createdAt ?? ESTABLISHED_AT,
      expiresAt: init.expiresAt ?? (lockMode === 'LockByExpiration' ? now - 3 * DAY_MS : now + 90 * DAY_MS),
      instanceClass: init.instanceClass ?? 'mysql.n2.medium.1',
      tags: { ...init.tags },
      quirks: { ...init.quirks },
      policy: {
        preferredBackupTime: '15:00Z-16:00Z',
        preferredBackupPeriod: ALL_WEEKDAYS,
        retentionDays: 7,
        logRetentionDays: 7,
        logBackupEnabled: true,
        releasedKeepPolicy: 'Lastest',
        highSpaceUsageProtection: 'Enable',
        compressType: '4',
        archiveRetentionDays: 0,
        ...init.policy,
      },
      logs: {
        // SQL Server backs its log up every 30 minutes; binlogs rotate about hourly here.
        fileEveryMs: (init.engine ?? 'MySQL') === 'SQLServer' ? 30 * 60_000 : 60 * 60_000,
        hosts: [String(fnv1a(id) % 10_000_000)],
        uploadLagMs: 5 * 60_000,
        gaps: [],
        bytesPerSecond: 16 * 1024,
        ...init.logs,
      },
      storageBytes: init.storageBytes ?? 200 * GIB,
      sizes: {
        // 1 to 10 GiB, fixed per instance id: a week of daily fulls fits the default free quota
        fullBytes: GIB + (fnv1a(`size/${id}`) % (9 * 1024)) * 1024 ** 2,
        atMs: now,
        growthPerDay: 0.002,
        noise: 0.01,
        ...init.sizes,
      },
    };
    if (init.crossRegion) instance.crossRegion = { ...init.crossRegion };
    this.instancesById.set(id, instance);
    if (instance.masterInstanceId !== undefined) {
      this.replicasByMaster.set(instance.masterInstanceId, [...(this.replicasByMaster.get(instance.masterInstanceId) ?? []), id]);
    }
    this.addedAt.set(id, this.added++);
    this.crossRegionSetsByInstance.set(id, []);
    this.jobsByInstance.set(id, new Map());
    this.setsByInstance.set(id, []);
    return instance;
  }

  /** The instance was released: gone from discovery, and its APIs answer InvalidDBInstanceId.NotFound. */
  removeInstance(id: string): void {
    const master = this.instancesById.get(id)?.masterInstanceId;
    if (master !== undefined)
      this.replicasByMaster.set(
        master,
        (this.replicasByMaster.get(master) ?? []).filter((r) => r !== id),
      );
    this.instancesById.delete(id);
    this.addedAt.delete(id);
    this.jobsByInstance.delete(id);
    this.setsByInstance.delete(id);
    this.crossRegionSetsByInstance.delete(id);
    this.pendingFailures.delete(id);
  }

  instance(id: string): SimInstance | undefined {
    return this.instancesById.get(id);
  }

  /**
   * Whether the service takes this instance's backups now: a primary (or disaster-recovery)
   * instance that is Running and not locked. Read-only replicas never back up themselves.
   */
  takesBackups(id: string): boolean {
    const instance = this.requireInstance(id);
    return (instance.instanceType === 'Primary' || instance.instanceType === 'Guard') && instance.status === 'Running' && instance.lockMode === 'Unlock';
  }

  /** Whether the instance has reached its first backup window since it was created (a new one has not). */
  pastFirstWindow(id: string): boolean {
    return this.nextBackupTime(id, this.requireInstance(id).createdAt) <= this.now();
  }

  /** ReadOnlyDBInstanceIds of a primary: its read-only replicas, in the order they were added. */
  readOnlyReplicas(id: string): SimInstance[] {
    return this.instancesAmong(this.replicasByMaster.get(id) ?? []);
  }

  instances(): SimInstance[] {
    return [...this.instancesById.values()];
  }

  /**
   * The instances with these ids, in the order instances() lists them: what an id filter selects,
   * without a pass over the whole world (a large one answers thousands of id batches).
   */
  instancesAmong(ids: Iterable<string>): SimInstance[] {
    const found: SimInstance[] = [];
    for (const id of new Set(ids)) {
      const instance = this.instancesById.get(id);
      if (instance) found.push(instance);
    }
    return found.sort((a, b) => this.addedAt.get(a.id)! - this.addedAt.get(b.id)!);
  }

  addJob(
    instanceId: string,
    init: Partial<Pick<SimJob, 'jobId' | 'mode' | 'taskAction' | 'status' | 'progressStatus' | 'process' | 'backupType' | 'sizeBytes' | 'databases'>> = {},
  ): SimJob {
    this.refuseReadOnly(instanceId);
    const jobs = this.jobsOf(instanceId);
    const jobId = init.jobId ?? this.freshJobId(jobs);
    if (jobs.has(jobId)) {
      throw new Error(`job ${jobId} already exists on ${instanceId}`);
    }
    const mode = init.mode ?? 'Automated';
    const job: SimJob = {
      jobId,
      instanceId,
      backupId: String(this.nextBackupNumber++),
      mode,
      taskAction: init.taskAction ?? (mode === 'Manual' ? 'TempBackupTask' : 'NormalBackupTask'),
      status: init.status,
      progressStatus: init.progressStatus ?? init.status ?? 'NoStart',
      process: init.process ?? 0,
      startedAt: this.now(),
      backupType: init.backupType ?? 'FullBackup',
      backupMethod: 'Physical',
      sizeBytes: init.sizeBytes ?? this.backupSize(instanceId, init.backupType ?? 'FullBackup', this.now(), init.databases),
      ...(init.databases === undefined ? {} : { databases: [...init.databases] }),
    };
    jobs.set(jobId, job);
    return job;
  }

  setJob(instanceId: string, jobId: string, patch: Partial<Pick<SimJob, 'status' | 'progressStatus' | 'process'>>): SimJob {
    const job = this.requireJob(instanceId, jobId);
    Object.assign(job, patch);
    return job;
  }

  /**
   * Ends a task. It leaves the listing, stays answerable by BackupJobId and becomes a backup
   * set (Success/Failed) ending now.
   */
  finishJob(instanceId: string, jobId: string, outcome: 'Finished' | 'Failed'): SimJob {
    const job = this.requireJob(instanceId, jobId);
    if (job.outcome !== undefined) {
      throw new Error(`job ${jobId} on ${instanceId} already ended ${job.outcome}`);
    }
    const instance = this.instancesById.get(instanceId);
    const now = this.now();
    job.outcome = outcome;
    job.endedAt = now;
    job.status = outcome;
    // BackupProgressStatus has no "Failed" value: its phase sequence is over either way, so
    // the simulator reports "Finished" there and leaves the outcome to BackupStatus. A client
    // must never read success from BackupProgressStatus.
    job.progressStatus = 'Finished';
    if (outcome === 'Finished') {
      job.process = 100;
    }
    this.recordSet({
      backupId: job.backupId,
      instanceId,
      status: outcome === 'Finished' ? 'Success' : 'Failed',
      startTime: job.startedAt,
      endTime: now,
      sizeBytes: outcome === 'Finished' ? job.sizeBytes : 0,
      mode: job.mode,
      method: job.backupMethod,
      type: job.backupType,
      initiator: job.mode === 'Automated' ? 'System' : 'User',
      engine: instance?.engine ?? 'MySQL',
      engineVersion: instance?.engineVersion ?? '8.0',
      ...(job.databases === undefined ? {} : { databases: job.databases }),
    });
    return job;
  }

  /**
   * The size of a backup of this type started at `atMs`: the instance's full-backup trend
   * (SimSizes) with its noise, fixed for a given instance and time; an incremental is 3-7 % of it,
   * a backup of some databases 15 %.
   */
  backupSize(instanceId: string, type: SimBackupSet['type'], atMs: number, databases?: string[]): number {
    const { sizes } = this.requireInstance(instanceId);
    const trend = sizes.fullBytes * (1 + sizes.growthPerDay) ** ((atMs - sizes.atMs) / DAY_MS);
    // -1..1, from the instance and the time: the same backup always has the same size
    const wobble = (fnv1a(`${instanceId}/${atMs}`) % 2001) / 1000 - 1;
    const full = trend * (1 + sizes.noise * wobble);
    const share = type === 'FullBackup' ? 1 : 0.05 + 0.02 * wobble;
    return Math.round(full * share * (databases === undefined ? 1 : 0.15));
  }

  /** The service lost the task: it is neither listed nor answerable by id any more. */
  forgetJob(instanceId: string, jobId: string): void {
    this.requireJob(instanceId, jobId).forgotten = true;
  }

  /** Seeds history. Defaults: a successful automated full physical backup that took 20 minutes. */
  addBackupSet(instanceId: string, set: Partial<SimBackupSet> & { endTime: number }): SimBackupSet {
    const instance = this.refuseReadOnly(instanceId);
    const mode = set.mode ?? 'Automated';
    const full: SimBackupSet = {
      backupId: set.backupId ?? String(this.nextBackupNumber++),
      instanceId,
      status: set.status ?? 'Success',
      startTime: set.startTime ?? set.endTime - 20 * 60_000,
      endTime: set.endTime,
      sizeBytes:
        set.sizeBytes ?? (set.status === 'Failed' ? 0 : this.backupSize(instanceId, set.type ?? 'FullBackup', set.startTime ?? set.endTime, set.databases)),
      mode,
      method: set.method ?? 'Physical',
      type: set.type ?? 'FullBackup',
      initiator: set.initiator ?? (mode === 'Automated' ? 'System' : 'User'),
      engine: set.engine ?? instance.engine,
      engineVersion: set.engineVersion ?? instance.engineVersion,
      ...(set.databases === undefined ? {} : { databases: [...set.databases] }),
    };
    this.recordSet(full);
    return full;
  }

  /** A finished set: kept, and copied to the other region when cross-region backup is on. */
  private recordSet(set: SimBackupSet): void {
    this.setsOf(set.instanceId).push(set);
    const cross = this.instancesById.get(set.instanceId)?.crossRegion;
    if (set.status === 'Success' && set.type === 'FullBackup' && set.databases === undefined && cross?.enabled && !cross.stalled) {
      this.addCrossRegionSet(set.instanceId, { backupId: set.backupId, startTime: set.endTime, endTime: set.endTime + 10 * 60_000, sizeBytes: set.sizeBytes });
    }
  }

  /** The service expired the instance's oldest backup sets: only the newest `keep` (by end time) remain. */
  expireOldestSets(instanceId: string, keep: number): void {
    const sets = this.setsOf(instanceId);
    const kept = new Set([...sets].sort((a, b) => b.endTime - a.endTime).slice(0, keep));
    this.setsByInstance.set(
      instanceId,
      sets.filter((set) => kept.has(set)),
    );
  }

  /** Seeds a cross-region copy (default: a success in the instance's target region). */
  addCrossRegionSet(instanceId: string, init: Partial<SimCrossRegionSet> & { endTime: number }): SimCrossRegionSet {
    const instance = this.requireInstance(instanceId);
    const set: SimCrossRegionSet = {
      crossBackupId: init.crossBackupId ?? this.nextCrossBackupId++,
      instanceId,
      backupId: init.backupId ?? String(this.nextBackupNumber++),
      status: init.status ?? 0,
      startTime: init.startTime ?? init.endTime - 10 * 60_000,
      endTime: init.endTime,
      region: init.region ?? instance.crossRegion?.region ?? 'cn-shanghai',
      sizeBytes: init.sizeBytes ?? GIB,
    };
    this.crossRegionSetsByInstance.get(instanceId)!.push(set);
    return set;
  }

  crossRegionSets(instanceId: string): SimCrossRegionSet[] {
    return [...(this.crossRegionSetsByInstance.get(instanceId) ?? [])];
  }

  /** Cross-region copies stop being made (they go stale); the settings still say it is on. */
  stallCrossRegionCopies(instanceId: string): void {
    const cross = this.requireInstance(instanceId).crossRegion;
    if (!cross) throw new Error(`instance ${instanceId} has no cross-region backup`);
    cross.stalled = true;
  }

  /** Breaks the log chain: no log file covers [fromMs, toMs] (on `host`, or on every host). */
  breakLogChain(instanceId: string, fromMs: number, toMs: number, host?: string): void {
    this.requireInstance(instanceId).logs.gaps.push(host === undefined ? { fromMs, toMs } : { host, fromMs, toMs });
  }

  /**
   * The log backup files the service keeps now, within the log retention: one per `fileEveryMs`
   * per host, each starting where the previous ended, none across a gap, none when log backup is
   * off, none before the instance was created and none on a read-only replica, the newest ones
   * still uploading.
   */
  logFiles(instanceId: string): SimLogFile[] {
    const instance = this.requireInstance(instanceId);
    const { logs, policy } = instance;
    if (!policy.logBackupEnabled || instance.instanceType === 'Readonly') return [];
    const now = this.now();
    const until = Math.min(now, logs.stoppedAt ?? Infinity);
    const from = Math.max(now - policy.logRetentionDays * DAY_MS, logs.sinceMs ?? -Infinity, instance.createdAt);
    const files: SimLogFile[] = [];
    for (const host of logs.hosts) {
      for (let k = Math.floor(from / logs.fileEveryMs); (k + 1) * logs.fileEveryMs <= until; k++) {
        // the instance's first file starts when the instance was created
        const beginMs = Math.max(k * logs.fileEveryMs, instance.createdAt);
        const endMs = (k + 1) * logs.fileEveryMs;
        if (endMs < from) continue;
        if (logs.gaps.some((g) => (g.host === undefined || g.host === host) && beginMs < g.toMs && endMs > g.fromMs)) continue;
        const sizeBytes = Math.round(((logs.bytesPerSecond * logs.fileEveryMs) / 1000) * (0.5 + (fnv1a(`${instanceId}/${host}/${k}`) % 1000) / 1000));
        files.push({ host, seq: k, beginMs, endMs, sizeBytes, uploaded: endMs <= now - logs.uploadLagMs });
      }
    }
    return files;
  }

  /** All backup sets of the instance in the order they were recorded. */
  backupSets(instanceId: string): SimBackupSet[] {
    return [...(this.setsByInstance.get(instanceId) ?? [])];
  }

  /** What DescribeBackupTasks lists: tasks that have neither ended nor been forgotten. */
  listedJobs(instanceId: string): SimJob[] {
    const jobs = this.jobsByInstance.get(instanceId);
    return jobs ? [...jobs.values()].filter((job) => job.outcome === undefined && !job.forgotten) : [];
  }

  /** Any task ever created on the instance, including ended and forgotten ones. */
  job(instanceId: string, jobId: string): SimJob | undefined {
    return this.jobsByInstance.get(instanceId)?.get(jobId);
  }

  /**
   * Advances every running task one phase, the way the real service's statuses move:
   * NoStart → Preparing → (Waiting, sometimes) → Uploading (+20..35 % per step) → Checking →
   * Finished, or Failed with `failureRate` or after failNext().
   */
  step(): void {
    for (const instance of this.instancesById.values()) {
      for (const job of this.listedJobs(instance.id)) {
        this.advance(job);
      }
    }
  }

  /** The next task on this instance that step() finishes ends Failed instead. Cumulative. */
  failNext(instanceId: string): void {
    this.requireInstance(instanceId);
    this.pendingFailures.set(instanceId, (this.pendingFailures.get(instanceId) ?? 0) + 1);
  }

  /**
   * Start of the next backup window on an allowed weekday, strictly after `after` (default now;
   * ms epoch). What DescribeBackupPolicy reports as PreferredNextBackupTime.
   */
  nextBackupTime(instanceId: string, after = this.now()): number {
    const { policy } = this.requireInstance(instanceId);
    const match = /^(\d{2}):(\d{2})Z/.exec(policy.preferredBackupTime);
    const hour = Number(match?.[1] ?? 0);
    const minute = Number(match?.[2] ?? 0);
    const allowed = new Set(policy.preferredBackupPeriod.split(',').map((day) => day.trim()));
    const now = after;
    const today = new Date(now);
    for (let offset = 0; offset <= 7; offset++) {
      const candidate = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset, hour, minute);
      const weekday = WEEKDAYS[new Date(candidate).getUTCDay()] ?? '';
      if (candidate > now && allowed.has(weekday)) {
        return candidate;
      }
    }
    // An empty or unparseable period: the service would still schedule daily.
    return Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1, hour, minute);
  }

  private advance(job: SimJob): void {
    switch (job.status) {
      case undefined:
      case 'NoStart':
        this.enter(job, 'Preparing');
        return;
      case 'Preparing':
        // Sometimes the task queues behind another one on the host before uploading.
        if (this.random.chance(0.25)) {
          this.enter(job, 'Waiting');
        } else {
          this.upload(job);
        }
        return;
      case 'Waiting':
        this.upload(job);
        return;
      case 'Uploading':
        this.upload(job);
        return;
      case 'Checking':
        this.finishJob(job.instanceId, job.jobId, this.decideOutcome(job.instanceId));
        return;
      default:
        return;
    }
  }

  private enter(job: SimJob, status: BackupStatus): void {
    job.status = status;
    job.progressStatus = status;
  }

  private upload(job: SimJob): void {
    job.process = Math.min(100, (job.status === 'Uploading' ? job.process : 0) + this.random.int(20, 35));
    this.enter(job, job.process >= 100 ? 'Checking' : 'Uploading');
  }

  private decideOutcome(instanceId: string): 'Finished' | 'Failed' {
    const pending = this.pendingFailures.get(instanceId) ?? 0;
    if (pending > 0) {
      this.pendingFailures.set(instanceId, pending - 1);
      return 'Failed';
    }
    return this.random.chance(this.failureRate) ? 'Failed' : 'Finished';
  }

  private freshJobId(existing: Map<string, SimJob>): string {
    let id = String(this.nextJobNumber++);
    while (existing.has(id)) {
      id = String(this.nextJobNumber++);
    }
    return id;
  }

  /** A read-only replica has no backups of its own: seeding one is a mistake in the test. */
  private refuseReadOnly(id: string): SimInstance {
    const instance = this.requireInstance(id);
    if (instance.instanceType === 'Readonly') {
      throw new Error(`${id} is a read-only instance: it takes no backups of its own`);
    }
    return instance;
  }

  private requireInstance(id: string): SimInstance {
    const instance = this.instancesById.get(id);
    if (!instance) {
      throw new Error(`no instance ${id}`);
    }
    return instance;
  }

  private jobsOf(instanceId: string): Map<string, SimJob> {
    this.requireInstance(instanceId);
    const jobs = this.jobsByInstance.get(instanceId);
    if (!jobs) {
      throw new Error(`no instance ${instanceId}`);
    }
    return jobs;
  }

  private setsOf(instanceId: string): SimBackupSet[] {
    const sets = this.setsByInstance.get(instanceId);
    if (!sets) {
      throw new Error(`no instance ${instanceId}`);
    }
    return sets;
  }

  private requireJob(instanceId: string, jobId: string): SimJob {
    const job = this.jobsOf(instanceId).get(jobId);
    if (!job) {
      throw new Error(`no job ${jobId} on ${instanceId}`);
    }
    return job;
  }
}

export interface SimLogFile {
  host: string;
  /** the file's number in its host's chain */
  seq: number;
  beginMs: number;
  endMs: number;
  sizeBytes: number;
  uploaded: boolean;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
