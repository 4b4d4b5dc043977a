// One poll cycle: each region's inventory is refreshed when due (so discovered instances come and
// go), then every watched instance is polled in parallel within the API limits — its task listing
// every cycle, its departed jobs by id, its backup sets and policy when due — and the results are
// assembled into a fresh immutable snapshot that replaces the previous one in one assignment.
// /metrics reads only the snapshot, so it never waits on the API and never sees half a cycle.
import type { Logger } from '../log.js';
import type { BackupPolicy, BackupSet, DBInstance } from '../alicloud/backups.js';
import { classifyApiError, type ApiError } from '../alicloud/errors.js';
import type { BackupTask } from '../alicloud/normalize.js';
import type { RdsClient } from '../alicloud/rds-client.js';
import type { RegionConfig } from '../config/schema.js';
import { BackupHistory, type BackupSummary } from './backup-history.js';
import { RegionInventory } from './inventory.js';
import { JobTracker, type Counts, type EndState } from './job-tracker.js';
import { instanceKey, type SavedInstances } from './state-file.js';

export interface RegionTarget {
  account: string;
  region: RegionConfig;
  client: RdsClient;
  /** how often DescribeDBInstances is asked (discovery.refresh_interval or poll.discovery_interval) */
  refreshIntervalMs: number;
}

export interface InstanceSnapshot {
  account: string;
  region: string;
  instanceId: string;
  /** what DescribeDBInstances said of it, when known */
  info?: DBInstance;
  /** every API call for this instance in the last cycle succeeded */
  success: boolean;
  /** the listing of the last cycle; undefined when that listing failed */
  tasks?: readonly BackupTask[];
  /** unix seconds of the last cycle whose calls all succeeded */
  lastSuccessSeconds?: number;
  durationSeconds: number;
  counts: Counts;
  backups: BackupSummary;
  /** whether DescribeBackups has answered at least once */
  backupsKnown: boolean;
  policy?: BackupPolicy;
}

export interface Snapshot {
  /** completed cycles so far */
  cycles: number;
  completedAt?: number;
  instances: readonly InstanceSnapshot[];
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ cycles: 0, instances: [] });

/** What a configuration reload may change, besides the targets. */
export interface PollSettings {
  backupsIntervalMs: number;
  backupsLookbackMs: number;
  policyIntervalMs: number;
  /** called with every instance's state after each cycle */
  persist?: (states: SavedInstances) => void;
}

export interface PollerOptions extends PollSettings {
  log: Logger;
  onSkippedCycle?: () => void;
  /** states saved by an earlier run, to take back as instances appear */
  saved?: SavedInstances;
  now?: () => number;
}

/** Logs a failure once when it starts (or its code changes), and once when it ends. */
class FailureReporter {
  private failingWith: string | undefined;
  constructor(private readonly log: Logger, private readonly what: string) {}
  report(errors: readonly ApiError[]): void {
    const first = errors[0];
    if (!first) {
      if (this.failingWith !== undefined) this.log.info(`${this.what} recovered`);
      this.failingWith = undefined;
      return;
    }
    const fields = { code: first.code, kind: first.kind, retryable: first.retryable, failed_calls: errors.length };
    if (this.failingWith !== first.code) this.log.warn(fields, `${this.what} failed: ${first.message}`);
    else this.log.debug(fields, `${this.what} still failing: ${first.message}`);
    this.failingWith = first.code;
  }
}

/**
 * Whether a failed interval call (DescribeBackups, DescribeBackupPolicy) waits for its interval
 * rather than being tried again next cycle: a missing permission for that one action, a deleted
 * instance or a rejected parameter will not be fixed by asking every minute, and asking would
 * triple the calls of each cycle. Transient failures, and bad credentials or clock (whose fix
 * should show at once), are tried again next cycle.
 */
function waitsForInterval(error: ApiError | undefined): boolean {
  return error !== undefined && (error.kind === 'permission' || error.kind === 'not_found' || error.kind === 'client' || error.kind === 'state');
}

function regionKey(target: RegionTarget): string {
  return `${target.account}/${target.region.region}`;
}

interface RegionState {
  target: RegionTarget;
  inventory: RegionInventory;
  reporter: FailureReporter;
  instances: Map<string, InstanceState>;
}

interface InstanceState {
  key: string;
  account: string;
  region: string;
  instanceId: string;
  client: RdsClient;
  tracker: JobTracker;
  history: BackupHistory;
  backupsKnown: boolean;
  nextBackupsAt: number;
  policy?: BackupPolicy;
  nextPolicyAt: number;
  info?: DBInstance;
  lastSuccessSeconds?: number;
  /**
   * The last failure of the calls that are not made every cycle, until one succeeds: a permission
   * error retried only at the interval must keep poll_success at 0 in between.
   */
  standing: { backups?: ApiError; policy?: ApiError };
  log: Logger;
  reporter: FailureReporter;
}

export class Poller {
  private regions: RegionState[];
  private settings: PollSettings;
  private current: Snapshot = EMPTY_SNAPSHOT;
  private inFlight: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly saved: SavedInstances;

  constructor(targets: readonly RegionTarget[], private readonly opts: PollerOptions) {
    this.now = opts.now ?? Date.now;
    this.saved = opts.saved ?? new Map();
    this.settings = opts;
    this.regions = targets.map((target) => this.newRegion(target));
  }

  /**
   * Takes a reloaded configuration, between two cycles: regions and instances that stay keep
   * their state (jobs in flight, counters, backup history); those no longer configured are
   * dropped with their series at the next cycle. Resolves once applied.
   */
  async reconfigure(targets: readonly RegionTarget[], settings: PollSettings): Promise<void> {
    while (this.inFlight) await this.inFlight;
    const previous = new Map(this.regions.map((r) => [regionKey(r.target), r]));
    this.settings = settings;
    this.regions = targets.map((target) => {
      const region = this.newRegion(target);
      const before = previous.get(regionKey(target));
      if (before) {
        region.reporter = before.reporter;
        region.inventory.carryOver(before.inventory);
        for (const [id, state] of before.instances) {
          state.client = target.client;
          state.history.setLookback(settings.backupsLookbackMs);
          region.instances.set(id, state);
        }
      }
      this.reconcile(region);
      return region;
    });
  }

  private newRegion(target: RegionTarget): RegionState {
    return {
      target,
      inventory: new RegionInventory(target.region, target.refreshIntervalMs),
      reporter: new FailureReporter(this.opts.log.child({ account: target.account, region: target.region.region }), 'instance inventory'),
      instances: new Map(),
    };
  }

  get snapshot(): Snapshot {
    return this.current;
  }

  /** true once a first cycle has completed */
  get ready(): boolean {
    return this.current.cycles > 0;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Runs a cycle, unless one is still running: then the tick is skipped and counted. */
  tick(): Promise<void> {
    if (this.inFlight) {
      this.opts.onSkippedCycle?.();
      this.opts.log.warn('poll cycle skipped: the previous cycle is still running (is poll.schedule too frequent for the API latency?)');
      return this.inFlight;
    }
    this.inFlight = this.runCycle().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Resolves when the running cycle (if any) has ended. */
  async idle(): Promise<void> {
    await this.inFlight;
  }

  private async runCycle(): Promise<void> {
    await Promise.all(this.regions.map((region) => this.refreshInventory(region)));
    const states = this.regions.flatMap((region) => [...region.instances.values()]);
    const instances = await Promise.all(states.map((state) => this.pollInstance(state)));
    this.current = Object.freeze({ cycles: this.current.cycles + 1, completedAt: this.now(), instances: Object.freeze(instances) });
    this.settings.persist?.(this.stateToSave(states));
  }

  /**
   * Every watched instance's state, plus the saved states not taken back yet of regions whose
   * inventory has never answered: their instances may still exist, and must not lose their jobs
   * because DescribeDBInstances failed at start-up.
   */
  private stateToSave(states: readonly InstanceState[]): SavedInstances {
    const out: SavedInstances = new Map();
    for (const region of this.regions) {
      if (region.inventory.known) continue;
      const prefix = instanceKey(region.target.account, region.target.region.region, '');
      for (const [key, saved] of this.saved) if (key.startsWith(prefix)) out.set(key, saved);
    }
    for (const s of states) {
      out.set(s.key, { tracker: s.tracker.toState(), history: s.history.toState(), ...(s.lastSuccessSeconds !== undefined ? { lastSuccessSeconds: s.lastSuccessSeconds } : {}) });
    }
    return out;
  }

  /** Refreshes the region's inventory when due, then adds and drops instance states to match it. */
  private async refreshInventory(region: RegionState): Promise<void> {
    const { target, inventory } = region;
    if (inventory.due(this.now())) {
      try {
        await inventory.refresh(target.client, this.now());
        region.reporter.report([]);
      } catch (err) {
        region.reporter.report([classifyApiError('DescribeDBInstances', err)]);
      }
    }
    this.reconcile(region);
  }

  /** Adds and drops instance states to match the region's inventory. */
  private reconcile(region: RegionState): void {
    const { target, inventory } = region;
    const watched = inventory.watched();
    for (const [id, state] of region.instances) {
      if (!watched.has(id)) {
        region.instances.delete(id);
        state.log.info('instance no longer watched (deleted, no longer matching discovery, or removed from the configuration): its series are dropped');
      }
    }
    for (const [id, info] of watched) {
      let state = region.instances.get(id);
      if (!state) {
        state = this.newInstance(target, id);
        region.instances.set(id, state);
        if (inventory.known && !target.region.instances.includes(id)) state.log.info({ engine: info?.engine }, 'instance discovered');
      }
      if (info) state.info = info;
    }
  }

  private newInstance(target: RegionTarget, instanceId: string): InstanceState {
    const key = instanceKey(target.account, target.region.region, instanceId);
    const log = this.opts.log.child({ account: target.account, region: target.region.region, instance_id: instanceId });
    const state: InstanceState = {
      key,
      account: target.account,
      region: target.region.region,
      instanceId,
      client: target.client,
      tracker: new JobTracker(),
      history: new BackupHistory({ lookbackMs: this.settings.backupsLookbackMs }),
      backupsKnown: false,
      nextBackupsAt: 0,
      nextPolicyAt: 0,
      standing: {},
      log,
      reporter: new FailureReporter(log, 'poll'),
    };
    const saved = this.saved.get(key);
    if (saved) {
      state.tracker.restore(saved.tracker);
      state.history.restore(saved.history);
      state.backupsKnown = saved.history.initialDone;
      if (saved.lastSuccessSeconds !== undefined) state.lastSuccessSeconds = saved.lastSuccessSeconds;
      this.saved.delete(key);
    }
    return state;
  }

  private async pollInstance(state: InstanceState): Promise<InstanceSnapshot> {
    const { client, tracker, instanceId } = state;
    const started = performance.now();
    const errors: ApiError[] = [];
    const attempt = async <T>(action: string, call: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await call();
      } catch (err) {
        errors.push(classifyApiError(action, err));
        return undefined;
      }
    };

    let jobEnded = false;
    // Taken before the listing: a job that ends in this cycle still reaches the backups window back to its start.
    const runningSince = tracker.runningSince();
    const tasks = await attempt('DescribeBackupTasks', () => client.describeBackupTasks(instanceId));
    if (tasks) {
      for (const ended of tracker.observe(tasks, this.now())) {
        this.logEnd(state, ended.jobId, ended.jobMode, ended.state);
        jobEnded = true;
      }
      // Each departed job is asked about by id; a failed look-up keeps it pending for next cycle.
      await Promise.all(
        tracker.pending().map(async (job) => {
          try {
            const found = await client.describeBackupTasks(instanceId, job.jobId);
            const end = tracker.resolve(job.jobId, found.find((t) => t.jobId === job.jobId), this.now());
            if (end) {
              this.logEnd(state, job.jobId, job.jobMode, end);
              jobEnded = true;
            }
          } catch (err) {
            const error = classifyApiError('DescribeBackupTasks', err);
            if (error.kind === 'not_found') {
              tracker.abandon(job.jobId, this.now());
              this.logEnd(state, job.jobId, job.jobMode, 'Unknown');
            } else errors.push(error);
          }
        }),
      );
    }

    // A job that just ended has just produced a backup set: look now rather than at the interval.
    if (jobEnded || this.now() >= state.nextBackupsAt) {
      const now = this.now();
      const sets = await attempt('DescribeBackups', async () => {
        const found: BackupSet[] = [];
        for (const [start, end] of state.history.windows(now, runningSince)) found.push(...(await client.describeBackups(instanceId, start, end)));
        return found;
      });
      if (sets) {
        for (const set of state.history.ingest(sets, now)) {
          if (set.status === 'Failed' && state.backupsKnown) state.log.warn({ backup_id: set.backupId, backup_type: set.type }, 'backup set failed');
        }
        state.backupsKnown = true;
      }
      state.standing.backups = sets ? undefined : errors.at(-1);
      if (sets || waitsForInterval(errors.at(-1))) state.nextBackupsAt = now + this.settings.backupsIntervalMs;
    }

    if (this.now() >= state.nextPolicyAt) {
      const policy = await attempt('DescribeBackupPolicy', () => client.describeBackupPolicy(instanceId));
      if (policy) state.policy = policy;
      state.standing.policy = policy ? undefined : errors.at(-1);
      if (policy || waitsForInterval(errors.at(-1))) state.nextPolicyAt = this.now() + this.settings.policyIntervalMs;
    }

    for (const standing of [state.standing.backups, state.standing.policy]) if (standing && !errors.includes(standing)) errors.push(standing);
    const success = errors.length === 0;
    state.reporter.report(errors);
    if (success) state.lastSuccessSeconds = this.now() / 1000;
    const snapshot: InstanceSnapshot = {
      account: state.account,
      region: state.region,
      instanceId,
      success,
      durationSeconds: (performance.now() - started) / 1000,
      counts: tracker.counts(),
      backups: state.history.summary(),
      backupsKnown: state.backupsKnown,
    };
    if (state.info) snapshot.info = state.info;
    if (tasks) snapshot.tasks = Object.freeze(tasks);
    if (state.lastSuccessSeconds !== undefined) snapshot.lastSuccessSeconds = state.lastSuccessSeconds;
    if (state.policy) snapshot.policy = state.policy;
    return Object.freeze(snapshot);
  }

  private logEnd(state: InstanceState, jobId: string, jobMode: string, end: EndState): void {
    const fields = { backup_job_id: jobId, job_mode: jobMode, end_state: end };
    if (end === 'Failed') state.log.warn(fields, 'backup job failed');
    else if (end === 'Unknown') state.log.warn(fields, 'backup job left the task list and its end could not be learned');
    else state.log.info(fields, 'backup job finished');
  }
}
