// One watched instance, polled on its own. A poll has four steps: the task listing, then the
// departed jobs by id (oldest first, a bounded number per poll), then the reads that are due
// (reads/, each at its own interval, together), then an immutable snapshot of what it now knows,
// published at once. A poll is cut by its deadline: what it had learned by then is kept, what it
// had not is asked again at the next poll. Each read keeps its own health; only the reads that say
// whether backups happen (the listing, the backup sets, the policy) decide poll_success.
import { inBackupWindow } from '../alicloud/backups.js';
import type { ApiError, BackupPolicy, BackupTask, CallOptions, DBInstance, RdsApi } from '../alicloud/rds-api.js';
import type { Logger } from '../log.js';
import { FailureReporter } from './failure-reporter.js';
import { JobTracker, type Counts, type EndState } from './job-tracker.js';
import { BackupsState } from './reads/backups.js';
import { BUILTIN_READS, TASKS_READ } from './reads/index.js';
import { policyRead } from './reads/policy.js';
import {
  failureOf,
  hasOwnBackups,
  ScheduledRead,
  type ReadContext,
  type ReadFailure,
  type ReadHealth,
  type ReadPlugin,
  type ReadSettings,
} from './reads/read.js';
import type { RefusalLog } from './refusals.js';
import { spreadOf } from './shard.js';
import type { SavedInstance } from './state-file.js';

export interface InstanceSnapshot {
  account: string;
  region: string;
  instanceId: string;
  /** what DescribeDBInstances said of it, when known */
  info?: DBInstance;
  /** the essential reads (task listing, backup sets, policy) worked on their last attempt */
  success: boolean;
  /** the first error code of the essential reads' last attempts (Timeout when a deadline cut one); absent on success */
  errorCode?: string;
  /** the listing of the last poll; undefined when that listing failed */
  tasks?: readonly BackupTask[];
  /** unix seconds of the last poll whose essential reads all worked */
  lastSuccessSeconds?: number;
  durationSeconds: number;
  counts: Counts;
  /** jobs that left the listing and are still to be looked up by id */
  pendingLookups: number;
  /** polls not started because the previous poll of this instance was still running */
  skippedPolls: number;
  /** what each read that is on, applies, and knows something shows (reads/*.ts `viewOf`) */
  views: ReadonlyMap<string, unknown>;
  /** the health of each read that is on and applies, the task listing included, once attempted */
  reads: ReadonlyMap<string, ReadHealth>;
}

/** How long after a backup window ends, or after a job was last followed, the listing stays at every tick. */
const ACTIVE_TAIL_MS = 30 * 60_000;

/** What a configuration reload may change for an instance. */
export interface InstanceSettings extends ReadSettings {
  /** whether the task listing (and the job look-ups) is made at all */
  tasksEnabled: boolean;
  /**
   * How often the task listing is asked while no backup can be running (outside the policy's
   * window and its tail, no job followed); 0: at every tick.
   */
  idleListingMs: number;
  /** most departed jobs looked up by id in one poll */
  lookupsPerPoll: number;
}

export interface PollContext {
  api: RdsApi;
  /** aborts at the poll's deadline */
  signal: AbortSignal;
  /** the data clock (ms) */
  now(): number;
  /** the region's inventory refresh running now, when this instance's engine is not known yet */
  inventory?: Promise<void>;
}

export interface WatchedInstanceOptions {
  key: string;
  account: string;
  region: string;
  instanceId: string;
  settings: InstanceSettings;
  log: Logger;
  /** told whenever the published snapshot changes */
  onPublish: (snapshot: InstanceSnapshot) => void;
  saved?: SavedInstance;
  /** the interval reads (default: the built-in ones) */
  reads?: ReadonlyArray<ReadPlugin<unknown>>;
  /** warns once per account and action when a read is refused for permission */
  refusals?: RefusalLog;
  /** told of every failed read attempt (the read errors counter) */
  onReadError?: (read: string, code: string) => void;
}

/** What one poll gathers as it goes. */
interface PollRun {
  readonly startedAt: number;
  step: string;
  readonly listed: boolean;
  tasks?: BackupTask[];
  /** the instance is gone (not_found on the listing) */
  gone: boolean;
  jobEnded: boolean;
  /** failures of the listing and the job look-ups */
  readonly taskErrors: ApiError[];
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
  readonly key: string;
  readonly account: string;
  readonly region: string;
  readonly instanceId: string;
  readonly log: Logger;
  /**
   * No longer in the region's inventory, but kept until its jobs in flight are resolved (counted
   * once, as Unknown when the instance is gone), so that a deletion in the middle of a backup is
   * still counted; then dropped. Makes no interval reads meanwhile.
   */
  retiring = false;
  private infoValue: DBInstance | undefined;
  private readonly tracker = new JobTracker();
  private readonly reads: ReadonlyArray<ScheduledRead<unknown>>;
  private readonly backups: BackupsState | undefined;
  private readonly policy: ScheduledRead<unknown> | undefined;
  private settings: InstanceSettings;
  private lastSuccessSeconds: number | undefined;
  private tasksHealth: ReadHealth | undefined;
  /** logs the essential reads' failures as one: when they start, change and end */
  private readonly reporter: FailureReporter;
  /** each optional read's failures, on their own */
  private readonly readReporters = new Map<string, FailureReporter>();
  private readonly refusals: RefusalLog | undefined;
  private readonly onReadError: ((read: string, code: string) => void) | undefined;
  private readonly onPublish: (snapshot: InstanceSnapshot) => void;
  private current: InstanceSnapshot | undefined;
  /** the poll running now: when it started (performance.now()) and what it is doing */
  private running: PollRun | undefined;
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

  constructor(opts: WatchedInstanceOptions) {
    ({ key: this.key, account: this.account, region: this.region, instanceId: this.instanceId, settings: this.settings, onPublish: this.onPublish } = opts);
    this.refusals = opts.refusals;
    this.onReadError = opts.onReadError;
    this.log = opts.log.child({ account: this.account, region: this.region, instance_id: this.instanceId });
    this.phase = 0.5 + spreadOf(this.key) / 2;
    this.reporter = new FailureReporter(this.log, 'poll');
    this.reads = (opts.reads ?? BUILTIN_READS).map((plugin) => new ScheduledRead(plugin, this.settings));
    this.backups = this.reads.map((r) => r.state).find((s): s is BackupsState => s instanceof BackupsState);
    this.policy = this.reads.find((r) => r.plugin === policyRead);
    // Each instance has its own point in every interval (0 < share ≤ 1), stable across restarts.
    for (const read of this.reads) read.spreadBy(1 - spreadOf(this.key));
    if (opts.saved) {
      this.tracker.restore(opts.saved.tracker);
      if (opts.saved.history) this.backups?.history.restore(opts.saved.history);
      this.lastSuccessSeconds = opts.saved.lastSuccessSeconds;
    }
  }

  /** After a configuration reload: intervals, look-backs, look-ups per poll, reads turned on or off. */
  reconfigure(settings: InstanceSettings): void {
    this.settings = settings;
    for (const read of this.reads) read.reconfigure(settings);
  }

  /** Whether a read is made for this instance: turned on, and serving it. */
  private active(read: ScheduledRead<unknown>): boolean {
    return read.enabled && (read.plugin.appliesTo?.(this.infoValue) ?? true);
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
    const saved: SavedInstance = { tracker: this.tracker.toState() };
    if (this.backups) saved.history = this.backups.history.toState();
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

  /** The policy as last read. */
  private get knownPolicy(): BackupPolicy | undefined {
    return this.viewContext(0).policy;
  }

  /**
   * Whether the task listing is asked at this tick: always while a backup can be running — a job
   * is followed or was lately, the policy's window (or its tail) is open, or the policy is not
   * known yet — and at `idleListingMs` otherwise, where only manual backups can start.
   */
  private listingDue(nowMs: number): boolean {
    if (!this.settings.tasksEnabled || !hasOwnBackups(this.infoValue)) return false;
    const { idleListingMs } = this.settings;
    if (idleListingMs === 0 || nowMs >= this.nextListingAt || nowMs < this.activeUntil || this.tracker.inFlight > 0) return true;
    const policy = this.knownPolicy;
    return policy === undefined || inBackupWindow(policy, nowMs, ACTIVE_TAIL_MS);
  }

  /** Whether this tick has anything to ask: the listing, or a read whose interval has come. */
  due(nowMs: number): boolean {
    return this.listingDue(nowMs) || (!this.retiring && this.reads.some((r) => this.active(r) && r.due(nowMs)));
  }

  /** One poll; never rejects (failures end up in the snapshot). Publishes its snapshot when it ends. */
  async poll(ctx: PollContext): Promise<InstanceSnapshot> {
    const run: PollRun = (this.running = {
      startedAt: performance.now(),
      step: 'DescribeBackupTasks',
      listed: this.listingDue(ctx.now()),
      gone: false,
      jobEnded: false,
      taskErrors: [],
    });
    this.skipLogged = false;
    // Taken before the listing: a job that ends in this poll still reaches the backups window back to its start.
    const runningSince = this.tracker.runningSince();
    await this.list(ctx, run);
    await this.lookUp(ctx, run);
    await this.readDue(ctx, run, runningSince);
    const snapshot = this.snapshot(ctx.now(), run);
    this.running = undefined;
    this.log.debug(
      {
        duration_seconds: snapshot.durationSeconds,
        success: snapshot.success,
        code: snapshot.errorCode,
        pending_lookups: snapshot.pendingLookups,
        jobs_in_flight: this.tracker.inFlight,
      },
      'poll ended',
    );
    return this.publish(snapshot);
  }

  /** Step 1: the task listing, when due; the jobs that left it are learned from the tracker. */
  private async list({ api, signal, now }: PollContext, run: PollRun): Promise<void> {
    if (!run.listed) return;
    try {
      const tasks = await api.describeBackupTasks(this.instanceId, undefined, { signal, priority: 'listing' });
      for (const ended of this.tracker.observe(tasks, now())) this.ended(run, ended.jobId, ended.jobMode, ended.state);
      run.tasks = tasks;
      this.lastTasks = Object.freeze(tasks);
      this.nextListingAt = now() + this.settings.idleListingMs * (this.nextListingAt === 0 ? this.phase : 1);
      if (tasks.length > 0 || run.jobEnded) this.activeUntil = now() + ACTIVE_TAIL_MS;
    } catch (err) {
      const error = err as ApiError;
      run.taskErrors.push(error);
      // The instance is gone: its jobs will never be listed again; learn their end by id.
      if (error.kind === 'not_found') {
        this.tracker.departAll(now());
        run.gone = true;
      }
    }
  }

  /** Step 2: the departed jobs, by id. A failed listing says nothing about which jobs left, unless the instance is gone. */
  private async lookUp({ api, signal, now }: PollContext, run: PollRun): Promise<void> {
    if (!run.tasks && !run.gone) return;
    run.step = 'DescribeBackupTasks (job look-ups)';
    const call: CallOptions = { signal, priority: 'backlog', owner: this.key };
    await Promise.all(
      this.tracker
        .pending()
        .slice(0, this.settings.lookupsPerPoll)
        .map(async (job) => {
          try {
            const found = await api.describeBackupTasks(this.instanceId, job.jobId, call);
            const end = this.tracker.resolve(
              job.jobId,
              found.find((t) => t.jobId === job.jobId),
              now(),
            );
            if (end) this.ended(run, job.jobId, job.jobMode, end);
          } catch (err) {
            const error = err as ApiError;
            if (error.kind === 'not_found') {
              this.tracker.abandon(job.jobId, now());
              this.ended(run, job.jobId, job.jobMode, 'Unknown');
            } else run.taskErrors.push(error);
          }
        }),
    );
  }

  /**
   * Step 3: the reads that are due, together — the region's limits serve them round-robin with the
   * other instances' backlog — so that a poll lasts about as long as its longest read, not their
   * sum. A read that depends on the engine waits for the inventory (within the deadline).
   */
  private async readDue(ctx: PollContext, run: PollRun, runningSince: number | undefined): Promise<void> {
    // A job that just ended has just produced a backup set: look now rather than at the interval.
    if (run.jobEnded) this.reads.find((r) => r.state === this.backups)?.soon();
    if (this.retiring) return;
    const { api, signal, now } = ctx;
    const readContext: ReadContext = {
      api,
      instanceId: this.instanceId,
      regionId: this.region,
      call: { signal, priority: 'backlog', owner: this.key },
      now,
      log: this.log,
      runningSinceMs: runningSince,
      info: this.infoValue,
    };
    const doing = new Set<string>();
    const step = (what: string, on: boolean) => {
      if (on) doing.add(what);
      else doing.delete(what);
      run.step = [...doing].join(', ');
    };
    await Promise.all(
      this.reads.map(async (read) => {
        if (signal.aborted || !read.enabled || !read.due(now())) return;
        if (read.plugin.needsEngine && this.infoValue === undefined && ctx.inventory) {
          step('waiting for the instance inventory', true);
          await untilSettledOrAborted(ctx.inventory, signal);
          step('waiting for the instance inventory', false);
          if (signal.aborted) return;
        }
        if (!this.active(read)) return;
        step(read.name, true);
        const failure = await read.run({ ...readContext, info: this.infoValue });
        step(read.name, false);
        this.reportRead(read, failure);
      }),
    );
  }

  /** Logs a read's failure where it is handled: a refusal once per account and action, a bug with its stack, others when they start and end. */
  private reportRead(read: ScheduledRead<unknown>, failure: ReadFailure | undefined): void {
    if (failure) this.onReadError?.(read.name, failure.code);
    if (failure?.kind === 'bug') {
      this.log.error(
        { read: read.name, code: failure.code, stack: failure.thrown instanceof Error ? failure.thrown.stack : undefined },
        `read ${read.name} failed inside the exporter: ${failure.message}`,
      );
    }
    if (failure?.kind === 'permission') this.refusals?.refused(this.account, failure.action, read.name, failure.code);
    else if (!failure) for (const action of read.plugin.actions) this.refusals?.granted(this.account, action);
    if (read.plugin.essential) return; // reported with the poll
    let reporter = this.readReporters.get(read.name);
    if (!reporter) this.readReporters.set(read.name, (reporter = new FailureReporter(this.log, `read ${read.name}`)));
    // A refusal is warned about once per account (refusals.ts), a bug just above.
    reporter.report(failure ? [failure] : [], failure?.kind === 'permission' || failure?.kind === 'bug' ? 'debug' : 'warn');
  }

  /** Step 4: what the instance now knows, health included. */
  private snapshot(nowMs: number, run: PollRun): InstanceSnapshot {
    const health = new Map<string, ReadHealth>();
    if (run.listed) {
      const failure = run.taskErrors[0];
      this.tasksHealth = failure
        ? {
            success: false,
            failure: failureOf(failure, TASKS_READ.actions[0]!),
            ...(this.tasksHealth?.lastSuccessMs !== undefined ? { lastSuccessMs: this.tasksHealth.lastSuccessMs } : {}),
          }
        : { success: true, lastSuccessMs: nowMs };
      if (failure) this.onReadError?.(TASKS_READ.name, failure.code);
    }
    const listing = this.settings.tasksEnabled && hasOwnBackups(this.infoValue);
    if (listing && this.tasksHealth) health.set(TASKS_READ.name, this.tasksHealth);
    const views = new Map<string, unknown>();
    const viewContext = this.viewContext(nowMs);
    // A listing that was not due keeps the standing of the last one (and its look-ups).
    const essentialFailures: ReadFailure[] = [];
    if (listing && this.tasksHealth?.failure) {
      essentialFailures.push(...(run.listed ? run.taskErrors.map((e) => failureOf(e, TASKS_READ.actions[0]!)) : [this.tasksHealth.failure]));
    }
    for (const read of this.reads) {
      if (!this.active(read)) continue;
      const status = read.status;
      if (status) health.set(read.name, status);
      if (read.plugin.essential && status?.failure) essentialFailures.push(status.failure);
      const view = read.state.view(viewContext);
      if (view !== undefined) views.set(read.name, view);
    }
    const success = essentialFailures.length === 0;
    this.reporter.report(essentialFailures);
    // The time of the last good listing: what the task series show is that old.
    if (success && (run.listed || !listing)) this.lastSuccessSeconds = nowMs / 1000;
    const snapshot: InstanceSnapshot = {
      account: this.account,
      region: this.region,
      instanceId: this.instanceId,
      success,
      durationSeconds: (performance.now() - run.startedAt) / 1000,
      counts: this.tracker.counts(),
      pendingLookups: this.tracker.pendingCount,
      skippedPolls: this.skipped,
      views,
      reads: health,
    };
    if (essentialFailures[0]) snapshot.errorCode = essentialFailures[0].code;
    if (this.infoValue) snapshot.info = this.infoValue;
    // The last good listing: this tick's, or while idle an earlier one. A listing that failed now: none.
    const shownTasks = run.listed && !run.tasks ? undefined : this.lastTasks;
    if (shownTasks && listing) snapshot.tasks = shownTasks;
    if (this.lastSuccessSeconds !== undefined) snapshot.lastSuccessSeconds = this.lastSuccessSeconds;
    return snapshot;
  }

  private viewContext(nowMs: number): { nowMs: number; settings: ReadSettings; policy: BackupPolicy | undefined } {
    const policy =
      this.policy && this.active(this.policy)
        ? (this.policy.state.view({ nowMs, settings: this.settings, policy: undefined }) as BackupPolicy | undefined)
        : undefined;
    return { nowMs, settings: this.settings, policy };
  }

  private publish(snapshot: InstanceSnapshot): InstanceSnapshot {
    this.current = Object.freeze(snapshot);
    this.onPublish(this.current);
    return this.current;
  }

  private ended(run: PollRun, jobId: string, jobMode: string, end: EndState): void {
    run.jobEnded = true;
    const fields = { backup_job_id: jobId, job_mode: jobMode, end_state: end };
    if (end === 'Failed') this.log.warn(fields, 'backup job failed');
    else if (end === 'Unknown') this.log.warn(fields, 'backup job left the task list and its end could not be learned');
    else this.log.info(fields, 'backup job finished');
  }
}
