// One poll cycle: every watched instance is polled (in parallel, within the API limits), its
// departed jobs resolved by id, and the results assembled into a fresh immutable snapshot that
// replaces the previous one in a single assignment. /metrics reads only the snapshot, so it never
// waits on the API and never sees a half-finished cycle.
import type { Logger } from '../log.js';
import { classifyApiError, type ApiError } from '../alicloud/errors.js';
import type { BackupTask } from '../alicloud/normalize.js';
import type { RdsClient } from '../alicloud/rds-client.js';
import { JobTracker, type Counts, type EndState } from './job-tracker.js';

export interface InstanceTarget {
  account: string;
  region: string;
  instanceId: string;
  client: RdsClient;
}

export interface InstanceSnapshot {
  account: string;
  region: string;
  instanceId: string;
  /** every API call for this instance in the last cycle succeeded */
  success: boolean;
  /** the listing of the last cycle; undefined when that listing failed */
  tasks?: readonly BackupTask[];
  /** unix seconds of the last cycle whose calls all succeeded */
  lastSuccessSeconds?: number;
  durationSeconds: number;
  counts: Counts;
}

export interface Snapshot {
  /** completed cycles so far */
  cycles: number;
  completedAt?: number;
  instances: readonly InstanceSnapshot[];
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ cycles: 0, instances: [] });

interface InstanceState {
  target: InstanceTarget;
  tracker: JobTracker;
  log: Logger;
  lastSuccessSeconds?: number;
  /** the error code of the last failing cycle, to log a failure once rather than every cycle */
  failingWith?: string;
}

export interface PollerOptions {
  log: Logger;
  onSkippedCycle?: () => void;
  now?: () => number;
}

export class Poller {
  private readonly states: InstanceState[];
  private current: Snapshot = EMPTY_SNAPSHOT;
  private inFlight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(targets: readonly InstanceTarget[], private readonly opts: PollerOptions) {
    this.now = opts.now ?? Date.now;
    this.states = targets.map((target) => ({
      target,
      tracker: new JobTracker(),
      log: opts.log.child({ account: target.account, region: target.region, instance_id: target.instanceId }),
    }));
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
    const instances = await Promise.all(this.states.map((state) => this.pollInstance(state)));
    this.current = Object.freeze({ cycles: this.current.cycles + 1, completedAt: this.now(), instances: Object.freeze(instances) });
  }

  private async pollInstance(state: InstanceState): Promise<InstanceSnapshot> {
    const { target, tracker } = state;
    const started = performance.now();
    let tasks: BackupTask[] | undefined;
    const errors: ApiError[] = [];
    try {
      tasks = await target.client.describeBackupTasks(target.instanceId);
      for (const ended of tracker.observe(tasks, this.now())) this.logEnd(state, ended.jobId, ended.jobMode, ended.state);
    } catch (err) {
      errors.push(classifyApiError('DescribeBackupTasks', err));
    }
    if (tasks) {
      // Each departed job is asked about by id; a failed look-up keeps it pending for next cycle.
      await Promise.all(
        tracker.pending().map(async (job) => {
          try {
            const found = await target.client.describeBackupTasks(target.instanceId, job.jobId);
            const end = tracker.resolve(job.jobId, found.find((t) => t.jobId === job.jobId), this.now());
            if (end) this.logEnd(state, job.jobId, job.jobMode, end);
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
    const success = errors.length === 0;
    this.report(state, errors);
    if (success) state.lastSuccessSeconds = this.now() / 1000;
    const snapshot: InstanceSnapshot = {
      account: target.account,
      region: target.region,
      instanceId: target.instanceId,
      success,
      durationSeconds: (performance.now() - started) / 1000,
      counts: tracker.counts(),
    };
    if (tasks) snapshot.tasks = Object.freeze(tasks);
    if (state.lastSuccessSeconds !== undefined) snapshot.lastSuccessSeconds = state.lastSuccessSeconds;
    return Object.freeze(snapshot);
  }

  private logEnd(state: InstanceState, jobId: string, jobMode: string, end: EndState): void {
    const fields = { backup_job_id: jobId, job_mode: jobMode, end_state: end };
    if (end === 'Failed') state.log.warn(fields, 'backup job failed');
    else if (end === 'Unknown') state.log.warn(fields, 'backup job left the task list and its end could not be learned');
    else state.log.info(fields, 'backup job finished');
  }

  /** Logs a failure once when it starts (or changes), and once when the instance recovers. */
  private report(state: InstanceState, errors: readonly ApiError[]): void {
    const first = errors[0];
    if (!first) {
      if (state.failingWith !== undefined) state.log.info('poll recovered');
      state.failingWith = undefined;
      return;
    }
    const fields = { code: first.code, kind: first.kind, retryable: first.retryable, failed_calls: errors.length };
    if (state.failingWith !== first.code) state.log.warn(fields, `poll failed: ${first.message}`);
    else state.log.debug(fields, `poll still failing: ${first.message}`);
    state.failingWith = first.code;
  }
}
