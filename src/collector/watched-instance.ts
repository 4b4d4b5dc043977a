// One watched instance, polled on its own: its job tracker and its reads made at their own
// intervals (backup sets, policy), and the poll that moves them on — the task listing, then the
// departed jobs by id (oldest first, a bounded number per poll), then the reads that are due,
// together — ending in an immutable snapshot of what it now knows, published at once. A poll is
// cut by its deadline: what it had learned by then is kept, what it had not is asked again at the
// next poll.
import { inBackupWindow } from '../alicloud/backups.js';
import type { ApiError, BackupPolicy, BackupStorage, BackupTask, CallOptions, CrossRegionSettings, DBInstance, RdsApi, RestoreWindow } from '../alicloud/rds-api.js';
import type { Logger } from '../log.js';
import type { BackupSummary } from './backup-history.js';
import { BackupStorageRead } from './backup-storage-read.js';
import { BackupsRead } from './backups-read.js';
import { CrossRegionBackupsRead, CrossRegionSettingsRead, type CrossRegionCopies } from './cross-region-read.js';
import { FailureReporter } from './failure-reporter.js';
import type { IntervalRead, ReadContext } from './interval-read.js';
import { JobTracker, type Counts, type EndState } from './job-tracker.js';
import type { LogChainSummary } from './log-chain.js';
import { BinlogFilesRead, LogBackupFilesRead } from './log-files-read.js';
import { PolicyRead } from './policy-read.js';
import { RestoreWindowRead } from './restore-window-read.js';
import { spreadOf } from './shard.js';
import type { SavedInstance } from './state-file.js';

export interface InstanceSnapshot {
  account: string;
  region: string;
  instanceId: string;
  /** what DescribeDBInstances said of it, when known */
  info?: DBInstance;
  /** the last poll's calls, and the last attempt of each interval read, all succeeded */
  success: boolean;
  /** the first error code of the last poll (Timeout when its deadline cut it); absent on success */
  errorCode?: string;
  /** the listing of the last poll; undefined when that listing failed */
  tasks?: readonly BackupTask[];
  /** unix seconds of the last poll that succeeded */
  lastSuccessSeconds?: number;
  durationSeconds: number;
  counts: Counts;
  backups: BackupSummary;
  /** whether DescribeBackups has answered at least once */
  backupsKnown: boolean;
  policy?: BackupPolicy;
  /** jobs that left the listing and are still to be looked up by id */
  pendingLookups: number;
  /** polls not started because the previous poll of this instance was still running */
  skippedPolls: number;
  /** usable backup sets (IsAvail) ending within the retention period (at most the look-back); once DescribeBackups has answered */
  usableSets?: number;
  restoreWindow?: RestoreWindow;
  /** the log backup files, when a log read applies to the engine and has answered */
  logChain?: LogChainSummary;
  crossRegion?: CrossRegionSettings;
  /** the newest cross-region copies, while cross-region backup is on */
  crossRegionCopies?: CrossRegionCopies;
  storage?: BackupStorage;
}

/** How long after a backup window ends, or after a job was last followed, the listing stays at every tick. */
const ACTIVE_TAIL_MS = 30 * 60_000;

/** What a configuration reload may change for an instance. */
export interface InstanceSettings {
  /**
   * How often the task listing is asked while no backup can be running (outside the policy's
   * window and its tail, no job followed); 0: at every tick.
   */
  idleListingMs: number;
  backupsIntervalMs: number;
  backupsLookbackMs: number;
  policyIntervalMs: number;
  /** most departed jobs looked up by id in one poll */
  lookupsPerPoll: number;
  /** the recoverability reads; 0 or absent: off */
  restoreWindowIntervalMs?: number;
  logBackupsIntervalMs?: number;
  /** how far back the first look at the log backup files goes (default 7 days) */
  logBackupsLookbackMs?: number;
  crossRegionIntervalMs?: number;
  resourceUsageIntervalMs?: number;
}

const DAY_MS = 86400_000;
const DEFAULT_LOG_LOOKBACK_MS = 7 * DAY_MS;

export interface PollContext {
  api: RdsApi;
  /** aborts at the poll's deadline */
  signal: AbortSignal;
  /** the data clock (ms) */
  now(): number;
  /** the region's inventory refresh running now, when this instance's engine is not known yet */
  inventory?: Promise<void>;
}

/** Resolves when `promise` settles or `signal` aborts, whichever comes first. */
function untilSettledOrAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}

export class WatchedInstance {
  readonly log: Logger;
  /**
   * No longer in the region's inventory, but kept until its jobs in flight are resolved (counted
   * once, as Unknown when the instance is gone), so that a deletion in the middle of a backup is
   * still counted; then dropped. Makes no interval reads meanwhile.
   */
  retiring = false;
  private infoValue: DBInstance | undefined;
  private readonly tracker = new JobTracker();
  private readonly backups: BackupsRead;
  private readonly policy: PolicyRead;
  private readonly restoreWindow: RestoreWindowRead;
  private readonly binlogs: BinlogFilesRead;
  private readonly logBackups: LogBackupFilesRead;
  private readonly crossRegion: CrossRegionSettingsRead;
  private readonly crossRegionCopies: CrossRegionBackupsRead;
  private readonly storage: BackupStorageRead;
  private readonly reads: ReadonlyArray<IntervalRead<unknown>>;
  private settings: InstanceSettings;
  private lastSuccessSeconds: number | undefined;
  private readonly reporter: FailureReporter;
  private current: InstanceSnapshot | undefined;
  /** the poll running now: when it started (performance.now()) and what it is doing */
  private running: { startedAt: number; step: string } | undefined;
  private skipped = 0;
  private skipLogged = false;
  /** the last successful listing, shown while the listing is not asked (idle) */
  private lastTasks: readonly BackupTask[] | undefined;
  /** when the idle listing is due next */
  private nextListingAt = 0;
  /** the listing stays at every tick until then (a job was followed recently) */
  private activeUntil = 0;
  /** the first idle listing comes after this share (0.5 to 1) of the idle interval: instances spread out */
  private readonly phase: number;

  constructor(
    readonly key: string,
    readonly account: string,
    readonly region: string,
    readonly instanceId: string,
    settings: InstanceSettings,
    parentLog: Logger,
    /** told whenever the published snapshot changes */
    private readonly onPublish: (snapshot: InstanceSnapshot) => void,
    saved?: SavedInstance,
  ) {
    this.log = parentLog.child({ account, region, instance_id: instanceId });
    this.phase = 0.5 + spreadOf(key) / 2;
    this.reporter = new FailureReporter(this.log, 'poll');
    this.settings = settings;
    this.backups = new BackupsRead(settings.backupsIntervalMs, settings.backupsLookbackMs);
    this.policy = new PolicyRead(settings.policyIntervalMs);
    const logLookback = settings.logBackupsLookbackMs ?? DEFAULT_LOG_LOOKBACK_MS;
    this.restoreWindow = new RestoreWindowRead(settings.restoreWindowIntervalMs ?? 0);
    this.binlogs = new BinlogFilesRead(settings.logBackupsIntervalMs ?? 0, logLookback);
    this.logBackups = new LogBackupFilesRead(settings.logBackupsIntervalMs ?? 0, logLookback);
    this.crossRegion = new CrossRegionSettingsRead(settings.crossRegionIntervalMs ?? 0);
    this.crossRegionCopies = new CrossRegionBackupsRead(settings.crossRegionIntervalMs ?? 0, settings.backupsLookbackMs, this.crossRegion);
    this.storage = new BackupStorageRead(settings.resourceUsageIntervalMs ?? 0);
    // In the order their failures are reported.
    this.reads = [this.backups, this.policy, this.restoreWindow, this.binlogs, this.logBackups, this.crossRegion, this.crossRegionCopies, this.storage];
    // Each instance has its own point in every interval (0 < share ≤ 1), stable across restarts.
    for (const read of this.reads) read.spreadBy(1 - spreadOf(key));
    if (saved) {
      this.tracker.restore(saved.tracker);
      this.backups.restore(saved.history);
      this.lastSuccessSeconds = saved.lastSuccessSeconds;
    }
  }

  /** After a configuration reload: intervals, look-back, look-ups per poll. */
  reconfigure(settings: InstanceSettings): void {
    this.settings = settings;
    this.backups.setInterval(settings.backupsIntervalMs);
    this.backups.history.setLookback(settings.backupsLookbackMs);
    this.policy.setInterval(settings.policyIntervalMs);
    this.restoreWindow.setInterval(settings.restoreWindowIntervalMs ?? 0);
    for (const read of [this.binlogs, this.logBackups]) {
      read.setInterval(settings.logBackupsIntervalMs ?? 0);
      read.chain.setLookback(settings.logBackupsLookbackMs ?? DEFAULT_LOG_LOOKBACK_MS);
    }
    this.crossRegion.setInterval(settings.crossRegionIntervalMs ?? 0);
    this.crossRegionCopies.setInterval(settings.crossRegionIntervalMs ?? 0);
    this.crossRegionCopies.setLookback(settings.backupsLookbackMs);
    this.storage.setInterval(settings.resourceUsageIntervalMs ?? 0);
  }

  /** Whether a read is made for this instance: turned on, and serving its engine. */
  private active(read: IntervalRead<unknown>): boolean {
    return read.enabled && read.appliesTo(this.infoValue);
  }

  /** The snapshot of the last poll that ended (undefined before the first). */
  get published(): InstanceSnapshot | undefined {
    return this.current;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Jobs followed and not ended yet. */
  get jobsInFlight(): number {
    return this.tracker.inFlight;
  }

  /** What DescribeDBInstances last said of it. */
  get info(): DBInstance | undefined {
    return this.infoValue;
  }

  set info(info: DBInstance | undefined) {
    if (info === undefined || info === this.infoValue) return;
    this.infoValue = info;
    // The labels of instance_info follow the inventory at once, not at the next poll.
    if (this.current) this.publish({ ...this.current, info });
  }

  /** What a restart must not lose. */
  toSaved(): SavedInstance {
    const saved: SavedInstance = { tracker: this.tracker.toState(), history: this.backups.history.toState() };
    if (this.lastSuccessSeconds !== undefined) saved.lastSuccessSeconds = this.lastSuccessSeconds;
    return saved;
  }

  /** A tick found the previous poll still running: counted, and logged once per run of skips. */
  skip(): void {
    this.skipped++;
    if (!this.skipLogged && this.running) {
      this.log.warn(
        { running_for_seconds: Math.round((performance.now() - this.running.startedAt) / 100) / 10, step: this.running.step },
        'poll skipped: the previous poll of this instance is still running',
      );
      this.skipLogged = true;
    }
    if (this.current) this.publish({ ...this.current, skippedPolls: this.skipped });
  }

  /**
   * Whether the task listing is asked at this tick: always while a backup can be running — a job
   * is followed or was lately, the policy's window (or its tail) is open, or the policy is not
   * known yet — and at `idleListingMs` otherwise, where only manual backups can start.
   */
  private listingDue(nowMs: number): boolean {
    const { idleListingMs } = this.settings;
    if (idleListingMs === 0 || nowMs >= this.nextListingAt || nowMs < this.activeUntil || this.tracker.inFlight > 0) return true;
    const policy = this.policy.policy;
    return policy === undefined || inBackupWindow(policy, nowMs, ACTIVE_TAIL_MS);
  }

  /** Whether this tick has anything to ask: the listing, or a read whose interval has come. */
  due(nowMs: number): boolean {
    return this.listingDue(nowMs) || (!this.retiring && this.reads.some((r) => this.active(r) && r.due(nowMs)));
  }

  /** One poll; never rejects (API failures end up in the snapshot). Publishes its snapshot when it ends. */
  async poll(ctx: PollContext): Promise<InstanceSnapshot> {
    const { api, signal, now } = ctx;
    const { tracker, instanceId } = this;
    const listed = this.listingDue(now());
    const running = (this.running = { startedAt: performance.now(), step: 'DescribeBackupTasks' });
    this.skipLogged = false;
    const listing: CallOptions = { signal, priority: 'listing' };
    const backlog: CallOptions = { signal, priority: 'backlog', owner: this.key };
    const errors: ApiError[] = [];
    let jobEnded = false;
    // Taken before the listing: a job that ends in this poll still reaches the backups window back to its start.
    const runningSince = tracker.runningSince();

    let tasks: BackupTask[] | undefined;
    let gone = false;
    try {
      if (listed) {
        tasks = await api.describeBackupTasks(instanceId, undefined, listing);
        for (const ended of tracker.observe(tasks, now())) {
          this.logEnd(ended.jobId, ended.jobMode, ended.state);
          jobEnded = true;
        }
        this.lastTasks = Object.freeze(tasks);
        this.nextListingAt = now() + this.settings.idleListingMs * (this.nextListingAt === 0 ? this.phase : 1);
        if (tasks.length > 0 || jobEnded) this.activeUntil = now() + ACTIVE_TAIL_MS;
      }
    } catch (err) {
      const error = err as ApiError;
      errors.push(error);
      // The instance is gone: its jobs will never be listed again; learn their end by id.
      if (error.kind === 'not_found') {
        tracker.departAll();
        gone = true;
      }
    }

    // A failed listing says nothing about which jobs left, unless the instance is gone.
    if ((listed && tasks) || gone) {
      running.step = 'DescribeBackupTasks (job look-ups)';
      await Promise.all(
        tracker.pending().slice(0, this.settings.lookupsPerPoll).map(async (job) => {
          try {
            const found = await api.describeBackupTasks(instanceId, job.jobId, backlog);
            const end = tracker.resolve(job.jobId, found.find((t) => t.jobId === job.jobId), now());
            if (end) {
              this.logEnd(job.jobId, job.jobMode, end);
              jobEnded = true;
            }
          } catch (err) {
            const error = err as ApiError;
            if (error.kind === 'not_found') {
              tracker.abandon(job.jobId, now());
              this.logEnd(job.jobId, job.jobMode, 'Unknown');
            } else errors.push(error);
          }
        }),
      );
    }

    // A job that just ended has just produced a backup set: look now rather than at the interval.
    if (jobEnded) this.backups.soon();
    this.backups.runningSinceMs = runningSince;
    // The due reads go out together — the region's limits serve them round-robin with the other
    // instances' backlog — so that a poll lasts about as long as its longest read, not their sum.
    // A read waits for the one whose answer says whether it applies (`after`), and one that
    // depends on the engine for the inventory (within the deadline); the others do not wait.
    const readContext: ReadContext = { api, instanceId, regionId: this.region, call: backlog, now, log: this.log };
    const doing = new Set<string>();
    const step = (what: string, on: boolean) => {
      if (on) doing.add(what);
      else doing.delete(what);
      running.step = [...doing].join(', ');
    };
    const runs = new Map<IntervalRead<unknown>, Promise<void>>();
    for (const read of this.reads) {
      const first = read.after && runs.get(read.after);
      runs.set(
        read,
        (async () => {
          if (first) await first;
          if (this.retiring || signal.aborted || !read.enabled || !read.due(now())) return;
          if (read.needsEngine && this.infoValue === undefined && ctx.inventory) {
            step('waiting for the instance inventory', true);
            await untilSettledOrAborted(ctx.inventory, signal);
            step('waiting for the instance inventory', false);
            if (signal.aborted) return;
          }
          if (!this.active(read)) return;
          step(read.action, true);
          await read.run(readContext);
          step(read.action, false);
        })(),
      );
    }
    await Promise.all(runs.values());
    for (const read of this.reads) if (this.active(read) && read.error && !errors.includes(read.error)) errors.push(read.error);

    const success = errors.length === 0;
    this.reporter.report(errors);
    // The time of the last good listing: what the task series show is that old.
    if (success && listed) this.lastSuccessSeconds = now() / 1000;
    const snapshot: InstanceSnapshot = {
      account: this.account,
      region: this.region,
      instanceId,
      success,
      durationSeconds: (performance.now() - running.startedAt) / 1000,
      counts: tracker.counts(),
      backups: this.backups.history.summary(),
      backupsKnown: this.backups.known,
      pendingLookups: tracker.pendingCount,
      skippedPolls: this.skipped,
    };
    if (errors[0]) snapshot.errorCode = errors[0].code;
    if (this.infoValue) snapshot.info = this.infoValue;
    // The last good listing: this tick's, or while idle an earlier one. A listing that failed now: none.
    const shownTasks = listed && !tasks ? undefined : this.lastTasks;
    if (shownTasks) snapshot.tasks = shownTasks;
    if (this.lastSuccessSeconds !== undefined) snapshot.lastSuccessSeconds = this.lastSuccessSeconds;
    if (this.policy.policy) snapshot.policy = this.policy.policy;
    this.addRecovery(snapshot, now());
    this.running = undefined;
    this.log.debug(
      { duration_seconds: snapshot.durationSeconds, success, code: snapshot.errorCode, pending_lookups: snapshot.pendingLookups, jobs_in_flight: tracker.inFlight },
      'poll ended',
    );
    return this.publish(snapshot);
  }

  /** What the recoverability reads know, for those that apply; a read turned off shows nothing. */
  private addRecovery(snapshot: InstanceSnapshot, nowMs: number): void {
    const policy = this.policy.policy;
    if (this.backups.known) {
      const retentionMs = Math.min(this.settings.backupsLookbackMs, policy?.retentionDays !== undefined ? policy.retentionDays * DAY_MS : Infinity);
      snapshot.usableSets = snapshot.backups.usableEndMs.filter((end) => end >= nowMs - retentionMs).length;
    }
    if (this.active(this.restoreWindow) && this.restoreWindow.window) snapshot.restoreWindow = this.restoreWindow.window;
    for (const read of [this.binlogs, this.logBackups]) {
      if (!this.active(read) || !read.chain.known) continue;
      const lookback = this.settings.logBackupsLookbackMs ?? DEFAULT_LOG_LOOKBACK_MS;
      const retentionMs = Math.min(lookback, policy?.logRetentionDays !== undefined ? policy.logRetentionDays * DAY_MS : Infinity);
      snapshot.logChain = read.chain.summary(nowMs, retentionMs);
    }
    if (this.active(this.crossRegion) && this.crossRegion.settings) snapshot.crossRegion = this.crossRegion.settings;
    if (this.active(this.crossRegionCopies) && this.crossRegionCopies.copies) snapshot.crossRegionCopies = this.crossRegionCopies.copies;
    if (this.active(this.storage) && this.storage.storage) snapshot.storage = this.storage.storage;
  }

  private publish(snapshot: InstanceSnapshot): InstanceSnapshot {
    this.current = Object.freeze(snapshot);
    this.onPublish(this.current);
    return this.current;
  }

  private logEnd(jobId: string, jobMode: string, end: EndState): void {
    const fields = { backup_job_id: jobId, job_mode: jobMode, end_state: end };
    if (end === 'Failed') this.log.warn(fields, 'backup job failed');
    else if (end === 'Unknown') this.log.warn(fields, 'backup job left the task list and its end could not be learned');
    else this.log.info(fields, 'backup job finished');
  }
}
