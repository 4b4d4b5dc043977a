// Follows every backup job of one instance from the first listing that shows it to its end, and
// counts each job's end exactly once.
//
// DescribeBackupTasks lists only jobs that have not started or are running: a job that finishes
// or fails between two polls simply vanishes. So a job that leaves the listing is "departed" and
// asked about by id until its end state is known. A job already listed as Failed or Finished is
// counted then, and its id remembered so that it is never counted again.
//
// A departed job is settled as Unknown only when the API, in valid answers, no longer knows it
// after `maxMisses` look-ups AND at least `minDepartedMs` after it left the listing: at a tick of a
// few seconds the look-ups alone pass in seconds, and a short burst of empty answers must not
// decide a job's fate for good (docs/reliability.md).
import { documented, isTerminal, JOB_MODES, type BackupTask } from '../alicloud/normalize.js';

export type EndState = 'Finished' | 'Failed' | 'Unknown';
const END_STATES: readonly EndState[] = ['Finished', 'Failed', 'Unknown'];

export interface TrackedJob {
  jobId: string;
  jobMode: string;
  firstSeen: number;
  /** by-id look-ups that found no such job */
  misses: number;
  /** when it left the listing (ms); absent while it is listed, and in files written before it was kept */
  departedAt?: number;
}

export interface EndedJob {
  jobId: string;
  jobMode: string;
  state: EndState;
}

/** Default of TrackerOptions.minDepartedMs: see docs/reliability.md for why 30 minutes. */
export const MIN_DEPARTED_MS = 30 * 60_000;
/** Default of TrackerOptions.rememberCountedMs. */
export const REMEMBER_COUNTED_MS = 14 * 24 * 3600 * 1000;
/** Default of TrackerOptions.maxRemembered. */
export const MAX_REMEMBERED = 10_000;

export interface TrackerOptions {
  /** by-id answers with no job before the end may be recorded as Unknown */
  maxMisses?: number;
  /** and no sooner than this after the job left the listing (ms) */
  minDepartedMs?: number;
  /** how long a counted id is remembered, to ignore it if it is listed again */
  rememberCountedMs?: number;
  /** most counted ids remembered */
  maxRemembered?: number;
}

export interface Counts {
  /** failures by job mode */
  failures: ReadonlyMap<string, number>;
  /** completions by job mode and end state, keyed `${mode}|${state}` */
  completions: ReadonlyMap<string, number>;
  /** when a job was last learned to have ended Failed (ms) */
  lastFailureMs?: number;
}

/** What a restart must not lose: the jobs in flight, the ids already counted, the counts. */
export interface TrackerState {
  active: TrackedJob[];
  departed: TrackedJob[];
  counted: Array<[jobId: string, countedAt: number]>;
  failures: Array<[jobMode: string, count: number]>;
  completions: Array<[key: string, count: number]>;
  lastFailureMs?: number;
}

export function completionKey(jobMode: string, state: EndState): string {
  return `${jobMode}|${state}`;
}

export function splitCompletionKey(key: string): [jobMode: string, state: EndState] {
  const at = key.lastIndexOf('|');
  return [key.slice(0, at), key.slice(at + 1) as EndState];
}

export class JobTracker {
  private readonly active = new Map<string, TrackedJob>();
  private readonly departed = new Map<string, TrackedJob>();
  private readonly counted = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly completions = new Map<string, number>();
  private lastFailureMs: number | undefined;
  private readonly maxMisses: number;
  private readonly minDepartedMs: number;
  private readonly rememberCountedMs: number;
  private readonly maxRemembered: number;

  constructor(opts: TrackerOptions = {}) {
    this.maxMisses = opts.maxMisses ?? 3;
    this.minDepartedMs = opts.minDepartedMs ?? MIN_DEPARTED_MS;
    this.rememberCountedMs = opts.rememberCountedMs ?? REMEMBER_COUNTED_MS;
    this.maxRemembered = opts.maxRemembered ?? MAX_REMEMBERED;
    for (const mode of JOB_MODES) {
      this.failures.set(mode, 0);
      for (const state of END_STATES) this.completions.set(completionKey(mode, state), 0);
    }
  }

  /** Takes one successful listing; returns the jobs it shows ended (counted now). Call only with a listing that succeeded: a failed call says nothing about which jobs left. */
  observe(listing: readonly BackupTask[], now = Date.now()): EndedJob[] {
    const listed = new Set<string>();
    const ended: EndedJob[] = [];
    for (const task of listing) {
      listed.add(task.jobId);
      if (this.counted.has(task.jobId)) continue;
      if (isTerminal(task.status)) {
        this.count(task.jobId, task.jobMode, task.status, now);
        ended.push({ jobId: task.jobId, jobMode: task.jobMode, state: task.status });
        continue;
      }
      const known = this.active.get(task.jobId) ?? this.departed.get(task.jobId);
      this.departed.delete(task.jobId);
      this.active.set(task.jobId, { jobId: task.jobId, jobMode: task.jobMode, firstSeen: known?.firstSeen ?? now, misses: 0 });
    }
    for (const [id, job] of this.active) {
      if (!listed.has(id)) {
        this.active.delete(id);
        this.departed.set(id, { ...job, departedAt: now });
      }
    }
    this.forgetOldIds(now);
    return ended;
  }

  /** Jobs that left the listing and whose end is not known yet, oldest first: ask for each by id. */
  pending(): TrackedJob[] {
    return [...this.departed.values()].sort((a, b) => a.firstSeen - b.firstSeen);
  }

  /** Jobs that left the listing and are still to be looked up. */
  get pendingCount(): number {
    return this.departed.size;
  }

  /** Jobs followed and not ended yet: listed as running, or departed and not resolved. */
  get inFlight(): number {
    return this.active.size + this.departed.size;
  }

  /**
   * The instance no longer lists anything (it is gone): every job still listed as running is
   * asked about by id from now on, like a job that left the listing.
   */
  departAll(now = Date.now()): void {
    for (const [id, job] of this.active) this.departed.set(id, { ...job, departedAt: now });
    this.active.clear();
  }

  /**
   * The by-id answer for a departed job: the task, or undefined when the API has no such job —
   * only from a valid answer (a malformed one is an error, not a miss). A job the API still
   * reports as running stays pending; one it no longer knows is Unknown after `maxMisses` such
   * answers and `minDepartedMs` since it left the listing.
   */
  resolve(jobId: string, task: BackupTask | undefined, now = Date.now()): EndState | undefined {
    const job = this.departed.get(jobId);
    if (!job) return undefined;
    if (task && isTerminal(task.status)) {
      this.count(jobId, job.jobMode, task.status, now);
      return task.status;
    }
    if (task) return undefined;
    job.misses++;
    job.departedAt ??= now;
    if (job.misses >= this.maxMisses && now - job.departedAt >= this.minDepartedMs) {
      this.count(jobId, job.jobMode, 'Unknown', now);
      return 'Unknown';
    }
    return undefined;
  }

  /** The job can never be resolved (its instance is gone): record it as Unknown. */
  abandon(jobId: string, now = Date.now()): void {
    const job = this.departed.get(jobId) ?? this.active.get(jobId);
    if (job) this.count(jobId, job.jobMode, 'Unknown', now);
  }

  counts(): Counts {
    const counts: Counts = { failures: new Map(this.failures), completions: new Map(this.completions) };
    if (this.lastFailureMs !== undefined) counts.lastFailureMs = this.lastFailureMs;
    return counts;
  }

  /** The earliest first sighting of a job still running or not yet resolved. */
  runningSince(): number | undefined {
    let earliest: number | undefined;
    for (const job of [...this.active.values(), ...this.departed.values()]) if (earliest === undefined || job.firstSeen < earliest) earliest = job.firstSeen;
    return earliest;
  }

  toState(): TrackerState {
    const state: TrackerState = {
      active: [...this.active.values()].map((j) => ({ ...j })),
      departed: [...this.departed.values()].map((j) => ({ ...j })),
      counted: [...this.counted],
      failures: [...this.failures],
      completions: [...this.completions],
    };
    if (this.lastFailureMs !== undefined) state.lastFailureMs = this.lastFailureMs;
    return state;
  }

  /**
   * Takes back a saved state. Jobs that were running are resolved by id once they are not listed.
   * A departed job from a file without `departedAt` counts as departed at its next look-up. Job
   * modes are bounded as the API's are (a file written before they were may hold anything): counts
   * under values outside the documented set are added up under Other.
   */
  restore(state: TrackerState): void {
    this.active.clear();
    this.departed.clear();
    const bounded = (job: TrackedJob): TrackedJob => ({ ...job, jobMode: documented(job.jobMode, JOB_MODES) });
    for (const job of state.active) this.active.set(job.jobId, bounded(job));
    for (const job of state.departed) this.departed.set(job.jobId, bounded(job));
    this.counted.clear();
    // Oldest first, as count() adds them: forgetOldIds relies on that order.
    for (const [id, at] of [...state.counted].sort((a, b) => a[1] - b[1])) this.counted.set(id, at);
    for (const mode of JOB_MODES) this.failures.set(mode, 0);
    for (const key of this.completions.keys()) this.completions.set(key, 0);
    for (const [mode, n] of state.failures) this.add(this.failures, documented(mode, JOB_MODES), n);
    for (const [key, n] of state.completions) {
      const [mode, end] = splitCompletionKey(key);
      if (END_STATES.includes(end)) this.add(this.completions, completionKey(documented(mode, JOB_MODES), end), n);
    }
    this.lastFailureMs = state.lastFailureMs;
  }

  private add(counts: Map<string, number>, key: string, n: number): void {
    counts.set(key, (counts.get(key) ?? 0) + n);
  }

  /** Whether `jobId` was already counted (and will not be again). */
  wasCounted(jobId: string): boolean {
    return this.counted.has(jobId);
  }

  private count(jobId: string, jobMode: string, state: EndState, now: number): void {
    this.active.delete(jobId);
    this.departed.delete(jobId);
    this.counted.set(jobId, now);
    const key = completionKey(jobMode, state);
    this.completions.set(key, (this.completions.get(key) ?? 0) + 1);
    if (state === 'Failed') {
      this.failures.set(jobMode, (this.failures.get(jobMode) ?? 0) + 1);
      this.lastFailureMs = Math.max(this.lastFailureMs ?? now, now);
    }
  }

  /**
   * Forgets counted ids older than `rememberCountedMs`, and the oldest beyond `maxRemembered`.
   * An id can come back only while its job may still be listed — for as long as a backup runs,
   * hours — so 14 days is far beyond it; and an instance ends a few jobs a day, so the count cap
   * is reached only by answers that invent ids (docs/reliability.md).
   */
  private forgetOldIds(now: number): void {
    // Map iteration is insertion order, so the oldest come first.
    for (const [id, at] of this.counted) {
      if (this.counted.size <= this.maxRemembered && now - at < this.rememberCountedMs) break;
      this.counted.delete(id);
    }
  }
}
