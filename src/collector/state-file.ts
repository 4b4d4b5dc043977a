// The optional state file: what a restart must not lose (jobs in flight, ids already counted, the
// counters, the newest known backup sets), written atomically after each cycle. A missing,
// unreadable or corrupt file is logged and set aside, never fatal: the exporter starts fresh.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { HistoryState } from './backup-history.js';
import type { TrackerState } from './job-tracker.js';

const STATE_VERSION = 1;

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

// Older files also hold taskAction and lastStatus per job: never read, so dropped here.
const trackedJob = z.object({ jobId: z.string(), jobMode: z.string(), firstSeen: z.number(), misses: z.number(), departedAt: z.number().optional() });
const backupSet = z.object({
  backupId: z.string(),
  status: z.string(),
  type: z.string(),
  startMs: z.number(),
  endMs: z.number(),
  sizeBytes: z.number().optional(),
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
        counted: pairs(z.number()),
        failures: pairs(z.number()),
        completions: pairs(z.number()),
        lastFailureMs: z.number().optional(),
      }),
      history: z
        .object({
          initialDone: z.boolean(),
          lastEndMs: z.number().optional(),
          known: pairs(z.number()),
          newestSuccess: z.array(backupSet),
          newestFinished: backupSet.optional(),
          seen: pairs(z.number()),
          usable: pairs(z.number()).optional(),
          newestFailedEndMs: z.number().optional(),
        })
        .optional(),
      lastSuccessSeconds: z.number().optional(),
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

/** Reads the state file; on any problem logs one line, keeps the bad file aside, and returns nothing. */
export function loadState(path: string, log: Logger, now = Date.now()): SavedInstances {
  removeStaleTemporaryFiles(path, log);
  if (!existsSync(path)) {
    log.info({ state_file: path }, 'no state file yet: starting fresh');
    return new Map();
  }
  let problem: string;
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) {
      const instances = new Map(Object.entries(parsed.data.instances) as Array<[string, SavedInstance]>);
      log.info({ state_file: path, instances: instances.size, saved_at: parsed.data.saved_at }, 'state restored');
      return instances;
    }
    const issue = parsed.error.issues[0]!;
    problem = `unexpected content at ${issue.path.join('.') || 'the top level'}: ${issue.message}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem = code ? `cannot read it (${code})` : 'it is not valid JSON';
  }
  // Keep the bad file for a human to look at; the next save writes a fresh one.
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
    log.warn({ state_file: path, moved_to: aside }, `state file ignored, starting fresh: ${problem}`);
  } catch {
    log.warn({ state_file: path }, `state file ignored, starting fresh: ${problem}`);
  }
  return new Map();
}

/** Writes the state to a temporary file, flushes it, and renames it over the old one. */
export function saveState(path: string, instances: SavedInstances, now = Date.now()): void {
  const body = JSON.stringify({ version: STATE_VERSION, saved_at: new Date(now).toISOString(), instances: Object.fromEntries(instances) });
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
