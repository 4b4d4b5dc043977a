// One watched instance: its job tracker, its backup-set history, its policy, and the poll that
// moves them on — the task listing every cycle, departed jobs by id, DescribeBackups and
// DescribeBackupPolicy when due — ending in an immutable snapshot of what it now knows.
import type { BackupPolicy, BackupSet, DBInstance } from '../alicloud/backups.js';
import { classifyApiError, type ApiError } from '../alicloud/errors.js';
import type { BackupTask } from '../alicloud/normalize.js';
import type { RdsClient } from '../alicloud/rds-client.js';
import type { Logger } from '../log.js';
import { BackupHistory, type BackupSummary } from './backup-history.js';
import { FailureReporter } from './failure-reporter.js';
import { JobTracker, type Counts, type EndState } from './job-tracker.js';
import type { SavedInstance } from './state-file.js';

export interface InstanceSnapshot {
  account: string;
  region: string;
  instanceId: string;
  /** what DescribeDBInstances said of it, when known */
  info?: DBInstance;
  /** the last poll's calls, and the last interval calls, all succeeded */
  success: boolean;
  /** the code of the first failing call of the last poll (when success is false) */
  errorCode?: string;
  /** the listing of the last cycle; undefined when that listing failed */
  tasks?: readonly BackupTask[];
  /** unix seconds of the last poll that succeeded */
  lastSuccessSeconds?: number;
  durationSeconds: number;
  counts: Counts;
  backups: BackupSummary;
  /** whether DescribeBackups has answered at least once */
  backupsKnown: boolean;
  policy?: BackupPolicy;
}

export interface IntervalSettings {
  backupsIntervalMs: number;
  policyIntervalMs: number;
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

export class WatchedInstance {
  /** what DescribeDBInstances last said of it */
  info?: DBInstance;
  readonly log: Logger;
  private readonly tracker = new JobTracker();
  private readonly history: BackupHistory;
  private backupsKnown = false;
  private nextBackupsAt = 0;
  private policy?: BackupPolicy;
  private nextPolicyAt = 0;
  private lastSuccessSeconds?: number;
  /**
   * The last failure of the calls that are not made every cycle, until one succeeds: a permission
   * error retried only at the interval must keep poll_success at 0 in between.
   */
  private readonly standing: { backups?: ApiError; policy?: ApiError } = {};
  private readonly reporter: FailureReporter;

  constructor(
    readonly key: string,
    readonly account: string,
    readonly region: string,
    readonly instanceId: string,
    private client: RdsClient,
    lookbackMs: number,
    parentLog: Logger,
    saved?: SavedInstance,
  ) {
    this.log = parentLog.child({ account, region, instance_id: instanceId });
    this.reporter = new FailureReporter(this.log, 'poll');
    this.history = new BackupHistory({ lookbackMs });
    if (saved) {
      this.tracker.restore(saved.tracker);
      this.history.restore(saved.history);
      this.backupsKnown = saved.history.initialDone;
      if (saved.lastSuccessSeconds !== undefined) this.lastSuccessSeconds = saved.lastSuccessSeconds;
    }
  }

  /** After a configuration reload: the region's new client and look-back. */
  reconfigure(client: RdsClient, lookbackMs: number): void {
    this.client = client;
    this.history.setLookback(lookbackMs);
  }

  /** What a restart must not lose. */
  toSaved(): SavedInstance {
    const saved: SavedInstance = { tracker: this.tracker.toState(), history: this.history.toState() };
    if (this.lastSuccessSeconds !== undefined) saved.lastSuccessSeconds = this.lastSuccessSeconds;
    return saved;
  }

  async poll(settings: IntervalSettings, now: () => number): Promise<InstanceSnapshot> {
    const { client, tracker, history, instanceId } = this;
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
      for (const ended of tracker.observe(tasks, now())) {
        this.logEnd(ended.jobId, ended.jobMode, ended.state);
        jobEnded = true;
      }
      // Each departed job is asked about by id; a failed look-up keeps it pending for next cycle.
      await Promise.all(
        tracker.pending().map(async (job) => {
          try {
            const found = await client.describeBackupTasks(instanceId, job.jobId);
            const end = tracker.resolve(job.jobId, found.find((t) => t.jobId === job.jobId), now());
            if (end) {
              this.logEnd(job.jobId, job.jobMode, end);
              jobEnded = true;
            }
          } catch (err) {
            const error = classifyApiError('DescribeBackupTasks', err);
            if (error.kind === 'not_found') {
              tracker.abandon(job.jobId, now());
              this.logEnd(job.jobId, job.jobMode, 'Unknown');
            } else errors.push(error);
          }
        }),
      );
    }

    // A job that just ended has just produced a backup set: look now rather than at the interval.
    if (jobEnded || now() >= this.nextBackupsAt) {
      const at = now();
      const sets = await attempt('DescribeBackups', async () => {
        const found: BackupSet[] = [];
        for (const [start, end] of history.windows(at, runningSince)) found.push(...(await client.describeBackups(instanceId, start, end)));
        return found;
      });
      if (sets) {
        for (const set of history.ingest(sets, at)) {
          if (set.status === 'Failed' && this.backupsKnown) this.log.warn({ backup_id: set.backupId, backup_type: set.type }, 'backup set failed');
        }
        this.backupsKnown = true;
      }
      this.standing.backups = sets ? undefined : errors.at(-1);
      if (sets || waitsForInterval(errors.at(-1))) this.nextBackupsAt = at + settings.backupsIntervalMs;
    }

    if (now() >= this.nextPolicyAt) {
      const policy = await attempt('DescribeBackupPolicy', () => client.describeBackupPolicy(instanceId));
      if (policy) this.policy = policy;
      this.standing.policy = policy ? undefined : errors.at(-1);
      if (policy || waitsForInterval(errors.at(-1))) this.nextPolicyAt = now() + settings.policyIntervalMs;
    }

    for (const standing of [this.standing.backups, this.standing.policy]) if (standing && !errors.includes(standing)) errors.push(standing);
    const success = errors.length === 0;
    this.reporter.report(errors);
    if (success) this.lastSuccessSeconds = now() / 1000;
    const snapshot: InstanceSnapshot = {
      account: this.account,
      region: this.region,
      instanceId,
      success,
      durationSeconds: (performance.now() - started) / 1000,
      counts: tracker.counts(),
      backups: history.summary(),
      backupsKnown: this.backupsKnown,
    };
    if (this.info) snapshot.info = this.info;
    if (errors[0]) snapshot.errorCode = errors[0].code;
    if (tasks) snapshot.tasks = Object.freeze(tasks);
    if (this.lastSuccessSeconds !== undefined) snapshot.lastSuccessSeconds = this.lastSuccessSeconds;
    if (this.policy) snapshot.policy = this.policy;
    return Object.freeze(snapshot);
  }

  private logEnd(jobId: string, jobMode: string, end: EndState): void {
    const fields = { backup_job_id: jobId, job_mode: jobMode, end_state: end };
    if (end === 'Failed') this.log.warn(fields, 'backup job failed');
    else if (end === 'Unknown') this.log.warn(fields, 'backup job left the task list and its end could not be learned');
    else this.log.info(fields, 'backup job finished');
  }
}
