// The optional state file: what a restart must not lose (jobs in flight, ids already counted, the
// counters, the newest known backup sets), written atomically after each cycle. A missing,
// unreadable, oversized or corrupt file, or one that is not a regular file, is logged and set
// aside, never fatal: the exporter starts fresh. Values that cannot be true are dropped one by one,
// the rest restored. A write that fails is tried again at each cycle, and said truthfully: what a
// restart would restore meanwhile is the older file.
import { closeSync, constants, existsSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { HistoryState } from './backup-history.js';
import type { TrackerState } from './job-tracker.js';

const STATE_VERSION = 1;

/**
 * The largest state file read or written: above what the largest fleet a replica is measured at
 * writes, and small enough that a start loads it within the heap deploy/kubernetes gives the
 * exporter (bench/state-file.ts; figures in bench/RESULTS.md, "State file").
 */
export const MAX_STATE_FILE_BYTES = 24 * 1024 * 1024;
/** The largest time a restored value may hold (ms): the end of what Date can represent. */
const MAX_TIME_MS = 8.64e15;

export interface SavedInstance {
  tracker: TrackerState;
  /** absent when the backups read is turned off */
  history?: HistoryState;
  lastSuccessSeconds?: number;
}

/** Instance states keyed `${account}/${region}/${instance_id}`. */
export type SavedInstances = Map<string, SavedInstance>;

export function instanceKey(account: string, region: string, instanceId: string): string {
  return `${account}/${region}/${instanceId}`;
}

/**
 * Any JSON number, 1e999 (Infinity) included: whether it can be true is checked value by value
 * after the shape (saneInstance), so that one absurd count does not cost the whole file.
 */
const num = z.custom<number>((v) => typeof v === 'number', 'expected a number');
// Older files also hold taskAction and lastStatus per job: never read, so dropped here.
const trackedJob = z.object({ jobId: z.string(), jobMode: z.string(), firstSeen: num, misses: num, departedAt: num.optional() });
const backupSet = z.object({
  backupId: z.string(),
  status: z.string(),
  type: z.string(),
  startMs: num,
  endMs: num,
  sizeBytes: num.optional(),
  scope: z.enum(['instance', 'databases']).default('instance'),
});
const pairs = <T extends z.ZodType>(value: T) => z.array(z.tuple([z.string(), value]));

const fileSchema = z.object({
  version: z.literal(STATE_VERSION),
  saved_at: z.string(),
  instances: z.record(
    z.string(),
    z.object({
      tracker: z.object({
        active: z.array(trackedJob),
        departed: z.array(trackedJob),
        counted: pairs(num),
        failures: pairs(num),
        completions: pairs(num),
        lastFailureMs: num.optional(),
      }),
      history: z
        .object({
          initialDone: z.boolean(),
          lastEndMs: num.optional(),
          known: pairs(num),
          newestSuccess: z.array(backupSet),
          newestFinished: backupSet.optional(),
          seen: pairs(num),
          usable: pairs(num).optional(),
          newestFailedEndMs: num.optional(),
        })
        .optional(),
      lastSuccessSeconds: num.optional(),
    }),
  ),
});

/** Whether a process with this id runs now (then its temporary file may be in the middle of a write). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the `<path>.tmp-<pid>` files that a crash in the middle of a save left behind: those of
 * processes that no longer run (or of this very process id, which cannot be writing yet).
 */
export function removeStaleTemporaryFiles(path: string, log: Logger): void {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the directory is reported when the state is saved
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid)) continue;
    try {
      unlinkSync(join(dirname(path), name));
      log.info({ state_file: path, removed: name }, 'removed a temporary state file left by an interrupted save');
    } catch (err) {
      log.warn({ state_file: path, file: name, code: (err as NodeJS.ErrnoException).code }, 'cannot remove a stale temporary state file');
    }
  }
}

type FileInstance = z.infer<typeof fileSchema>['instances'][string];

const isCount = (v: number) => Number.isSafeInteger(v) && v >= 0;
const isTime = (v: number) => Number.isFinite(v) && v >= 0 && v <= MAX_TIME_MS;

/**
 * An instance's saved state without the values that cannot be true: a count that is negative,
 * fractional or beyond 2^53 (its counter starts again from 0: a reset Prometheus handles), a time
 * outside what Date can hold (forgotten). An id kept for its own sake (a job counted, a backup set
 * seen, a job in flight) stays, its time taken as `now`, so that nothing is counted twice. Each
 * value dropped or replaced is named in `dropped` (by field and position, never by a value).
 */
function saneInstance(key: string, saved: FileInstance, now: number, dropped: string[]): SavedInstance {
  const note = (field: string) => dropped.push(`${key} ${field}`);
  const counts = (field: string, list: Array<[string, number]>) => list.filter(([, n], i) => isCount(n) || (note(`${field}[${i}]`), false));
  const idTimes = (field: string, list: Array<[string, number]>): Array<[string, number]> =>
    list.map(([id, at], i) => (isTime(at) ? [id, at] : (note(`${field}[${i}]`), [id, now])));
  const time = (field: string, at: number | undefined) => (at === undefined || isTime(at) ? at : (note(field), undefined));
  const jobs = (field: string, list: FileInstance['tracker']['active']) =>
    list.map((job, i) => {
      if (isTime(job.firstSeen) && isCount(job.misses) && (job.departedAt === undefined || isTime(job.departedAt))) return job;
      note(`${field}[${i}]`);
      const { departedAt, ...rest } = job;
      const sane = { ...rest, firstSeen: isTime(job.firstSeen) ? job.firstSeen : now, misses: isCount(job.misses) ? job.misses : 0 };
      // an impossible time of leaving the listing: taken as now, so that the job is not settled early
      return departedAt === undefined ? sane : { ...sane, departedAt: isTime(departedAt) ? departedAt : now };
    });
  const set = (field: string, s: NonNullable<FileInstance['history']>['newestFinished']) => {
    if (s === undefined) return undefined;
    if (!isTime(s.startMs) || !isTime(s.endMs)) return (note(field), undefined);
    if (s.sizeBytes === undefined || isCount(s.sizeBytes)) return s;
    note(`${field}.sizeBytes`);
    const { sizeBytes: _, ...rest } = s;
    return rest;
  };
  const { tracker, history } = saved;
  const out: SavedInstance = {
    tracker: {
      active: jobs('tracker.active', tracker.active),
      departed: jobs('tracker.departed', tracker.departed),
      counted: idTimes('tracker.counted', tracker.counted),
      failures: counts('tracker.failures', tracker.failures),
      completions: counts('tracker.completions', tracker.completions),
    },
  };
  const lastFailureMs = time('tracker.lastFailureMs', tracker.lastFailureMs);
  if (lastFailureMs !== undefined) out.tracker.lastFailureMs = lastFailureMs;
  if (history) {
    const newestSuccess = history.newestSuccess.flatMap((s, i) => set(`history.newestSuccess[${i}]`, s) ?? []);
    out.history = {
      initialDone: history.initialDone,
      known: idTimes('history.known', history.known),
      newestSuccess,
      seen: counts('history.seen', history.seen),
    };
    if (history.usable) out.history.usable = history.usable.filter(([, end], i) => isTime(end) || (note(`history.usable[${i}]`), false));
    const lastEndMs = time('history.lastEndMs', history.lastEndMs);
    if (lastEndMs !== undefined) out.history.lastEndMs = lastEndMs;
    const newestFinished = set('history.newestFinished', history.newestFinished);
    if (newestFinished) out.history.newestFinished = newestFinished;
    const newestFailedEndMs = time('history.newestFailedEndMs', history.newestFailedEndMs);
    if (newestFailedEndMs !== undefined) out.history.newestFailedEndMs = newestFailedEndMs;
  }
  const lastSuccessSeconds = time('lastSuccessSeconds', saved.lastSuccessSeconds === undefined ? undefined : saved.lastSuccessSeconds * 1000);
  if (lastSuccessSeconds !== undefined) out.lastSuccessSeconds = lastSuccessSeconds / 1000;
  return out;
}

function kindOf(stat: { isFIFO(): boolean; isDirectory(): boolean; isSocket(): boolean }): string {
  return stat.isFIFO() ? 'a FIFO' : stat.isDirectory() ? 'a directory' : stat.isSocket() ? 'a socket' : 'a device';
}

/**
 * The file's text, or why it is not read: not a regular file (a FIFO would block the start for
 * ever, waiting for a writer), or larger than MAX_STATE_FILE_BYTES.
 */
function readStateText(path: string): { text: string } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { problem: `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { problem: `it is not a regular file but ${kindOf(stat)}` };
    const tooLarge = { problem: `it is larger than ${MAX_STATE_FILE_BYTES} bytes, the most a start reads` };
    if (stat.size > MAX_STATE_FILE_BYTES) return tooLarge;
    // At most one byte past the limit: the file may grow while it is read.
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_STATE_FILE_BYTES) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) return tooLarge;
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return { text: buffer.subarray(0, length).toString('utf8') };
  } catch (err) {
    return { problem: `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  } finally {
    closeSync(fd);
  }
}

/** What a start found in the state file. */
export interface Restored {
  instances: SavedInstances;
  /** when the file restored was saved (ms); absent when none was */
  savedAtMs?: number;
}

/** Reads the state file; on any problem logs one line, keeps the bad file aside, and returns nothing. */
export function loadState(path: string, log: Logger, now = Date.now()): SavedInstances {
  return readState(path, log, now).instances;
}

/**
 * Reads the state file; on any problem logs one line, keeps the bad file aside, and restores
 * nothing. Values that cannot be true are dropped, with one line, and the rest restored.
 */
export function readState(path: string, log: Logger, now = Date.now()): Restored {
  removeStaleTemporaryFiles(path, log);
  if (!existsSync(path)) {
    log.info({ state_file: path }, 'no state file yet: starting fresh');
    return { instances: new Map() };
  }
  let problem: string;
  const read = readStateText(path);
  if ('text' in read) {
    try {
      const parsed = fileSchema.safeParse(JSON.parse(read.text));
      if (parsed.success) {
        const dropped: string[] = [];
        const instances: SavedInstances = new Map(Object.entries(parsed.data.instances).map(([key, saved]) => [key, saneInstance(key, saved, now, dropped)]));
        if (dropped.length > 0) {
          log.warn(
            { state_file: path, dropped: dropped.length, first: dropped.slice(0, 10) },
            'state file: values that cannot be true (negative, fractional or huge counts, impossible times) were dropped; the rest is restored',
          );
        }
        log.info({ state_file: path, instances: instances.size, saved_at: parsed.data.saved_at }, 'state restored');
        const savedAtMs = Date.parse(parsed.data.saved_at);
        return Number.isNaN(savedAtMs) ? { instances } : { instances, savedAtMs };
      }
      const issue = parsed.error.issues[0]!;
      problem = `unexpected content at ${issue.path.join('.') || 'the top level'}: ${issue.message}`;
    } catch {
      problem = 'it is not valid JSON';
    }
  } else {
    problem = read.problem;
  }
  // Keep the bad file for a human to look at; the next save writes a fresh one.
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
    log.warn({ state_file: path, moved_to: aside }, `state file ignored, starting fresh: ${problem}`);
  } catch {
    log.warn({ state_file: path }, `state file ignored, starting fresh: ${problem}`);
  }
  return { instances: new Map() };
}

/**
 * Writes the state to a temporary file, flushes it, and renames it over the old one. A state
 * larger than a start would read is not written (the older file stays); a failed write leaves no
 * temporary file behind.
 */
export function saveState(path: string, instances: SavedInstances, now = Date.now()): void {
  const body = Buffer.from(JSON.stringify({ version: STATE_VERSION, saved_at: new Date(now).toISOString(), instances: Object.fromEntries(instances) }));
  if (body.length > MAX_STATE_FILE_BYTES) {
    throw Object.assign(new Error(`the state is ${body.length} bytes, more than the ${MAX_STATE_FILE_BYTES} a start reads`), { code: 'StateTooLarge' });
  }
  const temp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already gone
    }
    throw err;
  }
}

/** The state file's writes, as the metrics tell them. */
export interface StateFileStatus {
  /** whether the last write worked; absent before the first */
  lastWriteOk?: boolean;
  /** when the file a restart would restore was written (ms): the last write that worked, or the file found at start */
  lastSuccessMs?: number;
}

/**
 * Saves the state after each cycle. A write that fails is tried again at the next cycle; it is
 * logged when it starts failing (and when its reason changes), saying what a restart would restore
 * meanwhile (the older file, saved at its time, or nothing), and when it works again.
 */
export class StateFileWriter {
  private failing: { code: string; attempts: number } | undefined;
  private readonly status: StateFileStatus = {};

  constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly report: (status: StateFileStatus) => void = () => undefined,
    /** the file found at start; when not given, the file on disk is looked at */
    found?: Restored,
    private readonly now: () => number = Date.now,
  ) {
    const onDisk = found ? found.savedAtMs : writtenAt(path);
    if (onDisk !== undefined) this.status.lastSuccessMs = onDisk;
    this.report({ ...this.status });
  }

  save(states: SavedInstances): void {
    const at = this.now();
    try {
      saveState(this.path, states, at);
      if (this.failing) this.log.info({ state_file: this.path, failed_attempts: this.failing.attempts }, 'state file written again');
      this.failing = undefined;
      this.status.lastWriteOk = true;
      this.status.lastSuccessMs = at;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      if (this.failing?.code !== code)
        this.log.warn({ state_file: this.path, code }, `cannot write the state file (tried again at each cycle); ${this.restartWouldRestore()}`);
      this.failing = { code, attempts: (this.failing?.attempts ?? 0) + 1 };
      this.status.lastWriteOk = false;
    }
    this.report({ ...this.status });
  }

  private restartWouldRestore(): string {
    if (writtenAt(this.path) === undefined) return 'a restart now would find no state file and start fresh';
    const saved = this.status.lastSuccessMs;
    return `a restart now would restore the older file${saved === undefined ? '' : `, saved at ${new Date(saved).toISOString()}`}`;
  }
}

/** When the regular file at `path` was last written (ms), or undefined when there is none. */
function writtenAt(path: string): number | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}
