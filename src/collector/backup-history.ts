// What one instance's completed backup sets say: the newest successful set of each type, whether
// the newest finished set succeeded, and how many sets were seen — each BackupId counted once.
//
// Cost: the first look covers `lookbackMs`, split into windows of `windowMs` because the API
// advises short ranges; each window is taken as it answers, so a first look cut by a poll's
// deadline goes on from there. Afterwards only the time since the last look is asked for. The API's time
// filter selects on a set's start time, and a set is listed only once it has ended, so a backup
// that was running at the last look has a start time before it: the window reaches back
// `overlapMs` further, and back to the first sighting of any backup job still running (long
// backups are seen in the task listing). This costs less than asking again from the newest known
// set, which for a weekly schedule would re-read a week every time. Results are taken as maxima:
// the API's order is undocumented.
import { BACKUP_SET_STATUSES, BACKUP_TYPES, type BackupSet } from '../alicloud/backups.js';
import { documented } from '../alicloud/normalize.js';

export interface HistoryOptions {
  lookbackMs: number;
  windowMs?: number;
  overlapMs?: number;
}

export interface BackupSummary {
  /** newest Success set of each type, by end time (instance-wide sets only, as below) */
  newestSuccess: ReadonlyMap<string, BackupSet>;
  /** newest finished set of any type, by end time */
  newestFinished?: BackupSet;
  /** sets seen, keyed `${type}|${status}` (type DatabaseBackup for sets of some databases only) */
  seen: ReadonlyMap<string, number>;
  /** end times of the successful sets the API called usable (IsAvail not 0), within the look-back */
  usableEndMs: readonly number[];
  /** BackupEndTime of the newest Failed set, any type */
  newestFailedEndMs?: number;
}

export interface HistoryState {
  initialDone: boolean;
  /** when the last complete round of windows ended */
  lastEndMs?: number;
  known: Array<[backupId: string, startMs: number]>;
  newestSuccess: BackupSet[];
  newestFinished?: BackupSet;
  seen: Array<[key: string, count: number]>;
  /** usable sets by id, with their end time (absent in older files) */
  usable?: Array<[backupId: string, endMs: number]>;
  newestFailedEndMs?: number;
}

const SET_STATUSES = ['Success', 'Failed'] as const;
/** The backup_type under which sets of some databases only are counted, whatever their BackupType. */
export const DATABASE_BACKUP = 'DatabaseBackup';
const FINAL: ReadonlySet<string> = new Set(SET_STATUSES);
const LABELLED_TYPES: readonly string[] = [...BACKUP_TYPES, DATABASE_BACKUP];

/** A `${type}|${status}` key with both parts bounded (a file written before they were bounded may hold anything). */
function boundedSeenKey(key: string): string {
  const at = key.lastIndexOf('|');
  return `${documented(key.slice(0, at), LABELLED_TYPES)}|${documented(key.slice(at + 1), BACKUP_SET_STATUSES)}`;
}

export class BackupHistory {
  private initialDone = false;
  private lastEndMs: number | undefined;
  /** ids already counted, with their start time, to prune those older than any future window */
  private readonly known = new Map<string, number>();
  private readonly newestSuccess = new Map<string, BackupSet>();
  private newestFinished: BackupSet | undefined;
  private newestFailedEndMs: number | undefined;
  private readonly seen = new Map<string, number>();
  /** successful sets that are usable (IsAvail), by id, with their end time */
  private readonly usable = new Map<string, number>();
  private readonly windowMs: number;
  private readonly overlapMs: number;

  constructor(private opts: HistoryOptions) {
    this.windowMs = opts.windowMs ?? 2 * 24 * 3600_000;
    this.overlapMs = opts.overlapMs ?? 3600_000;
  }

  /** Whether a first round of windows has been taken. */
  get initialLookDone(): boolean {
    return this.initialDone;
  }

  /** A reloaded configuration may change how far back to look. */
  setLookback(lookbackMs: number): void {
    this.opts = { ...this.opts, lookbackMs };
  }

  /**
   * The [start, end] windows to ask for now. `runningSinceMs` is when the oldest backup job still
   * running was first seen: its set, when it ends, starts before that.
   */
  windows(nowMs: number, runningSinceMs?: number): Array<[number, number]> {
    const floor = nowMs - this.opts.lookbackMs;
    // lastEndMs is also set part-way through a first look that a deadline cut: it goes on from there.
    const start = this.lastEndMs !== undefined ? Math.max(floor, Math.min(this.lastEndMs, runningSinceMs ?? Infinity) - this.overlapMs) : floor;
    const out: Array<[number, number]> = [];
    for (let from = start; from < nowMs; from += this.windowMs) out.push([from, Math.min(nowMs, from + this.windowMs)]);
    return out.length > 0 ? out : [[start, nowMs]];
  }

  /**
   * Takes every set of the windows up to `nowMs`, all of whose pages answered. `roundDone` is false
   * for a window that is not the last of its round (a long first look goes on at the next poll
   * from there). Returns the sets new to it.
   */
  ingest(sets: readonly BackupSet[], nowMs: number, roundDone = true): BackupSet[] {
    const fresh: BackupSet[] = [];
    for (const set of sets) {
      // Only a finished set is counted and remembered; one in another state (the API documents
      // none, but if it ever lists them) is taken when it has ended.
      if (!FINAL.has(set.status) || this.known.has(set.backupId)) continue;
      this.known.set(set.backupId, set.startMs);
      fresh.push(set);
      // A backup of some databases only is counted, and says nothing of the instance's backups.
      const key = `${set.scope === 'databases' ? DATABASE_BACKUP : set.type}|${set.status}`;
      this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
      if (set.scope === 'databases') continue;
      if (set.status === 'Success' && set.available !== false) this.usable.set(set.backupId, set.endMs);
      if (set.status === 'Success') {
        const current = this.newestSuccess.get(set.type);
        if (!current || set.endMs > current.endMs) this.newestSuccess.set(set.type, set);
      } else if (this.newestFailedEndMs === undefined || set.endMs > this.newestFailedEndMs) this.newestFailedEndMs = set.endMs;
      if (!this.newestFinished || set.endMs > this.newestFinished.endMs) {
        this.newestFinished = set;
      }
    }
    if (roundDone) this.initialDone = true;
    this.lastEndMs = nowMs;
    // Ids older than the look-back can never be returned again.
    const oldest = nowMs - this.opts.lookbackMs - this.overlapMs;
    for (const [id, start] of this.known) if (start < oldest) this.known.delete(id);
    for (const [id, end] of this.usable) if (end < oldest) this.usable.delete(id);
    return fresh;
  }

  summary(): BackupSummary {
    const summary: BackupSummary = { newestSuccess: new Map(this.newestSuccess), seen: new Map(this.seen), usableEndMs: [...this.usable.values()] };
    if (this.newestFinished) summary.newestFinished = this.newestFinished;
    if (this.newestFailedEndMs !== undefined) summary.newestFailedEndMs = this.newestFailedEndMs;
    return summary;
  }

  toState(): HistoryState {
    const state: HistoryState = {
      initialDone: this.initialDone,
      known: [...this.known],
      newestSuccess: [...this.newestSuccess.values()],
      seen: [...this.seen],
      usable: [...this.usable],
    };
    if (this.lastEndMs !== undefined) state.lastEndMs = this.lastEndMs;
    if (this.newestFinished) state.newestFinished = this.newestFinished;
    if (this.newestFailedEndMs !== undefined) state.newestFailedEndMs = this.newestFailedEndMs;
    return state;
  }

  restore(state: HistoryState): void {
    this.initialDone = state.initialDone;
    this.lastEndMs = state.lastEndMs;
    this.known.clear();
    for (const [id, start] of state.known) this.known.set(id, start);
    this.newestSuccess.clear();
    // Label values restored from a file are bounded as the API's are; the newest set of a type wins.
    for (const saved of state.newestSuccess) {
      const set = { ...saved, type: documented(saved.type, LABELLED_TYPES) };
      const known = this.newestSuccess.get(set.type);
      if (!known || set.endMs > known.endMs) this.newestSuccess.set(set.type, set);
    }
    this.newestFinished = state.newestFinished;
    this.newestFailedEndMs = state.newestFailedEndMs;
    this.seen.clear();
    for (const [key, n] of state.seen) this.seen.set(boundedSeenKey(key), (this.seen.get(boundedSeenKey(key)) ?? 0) + n);
    this.usable.clear();
    for (const [id, end] of state.usable ?? []) this.usable.set(id, end);
  }
}
