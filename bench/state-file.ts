// What a state file costs to load, at a given number of instances of a realistic shape: each with
// a backup job in flight, 14 days of daily jobs counted, 8 days of daily backup sets known, a few
// counters. Writes the file, loads it in a fresh child process (loadState, as a start does, the heap
// capped as deploy/kubernetes caps it) and prints its size, the time to load and the resident
// memory it took.
//
//   npx tsx bench/state-file.ts [instances]      (default: as many as fill MAX_STATE_FILE_BYTES)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, MAX_STATE_FILE_BYTES } from '../src/collector/state-file.js';
import { createLogger } from '../src/log.js';

/** The JavaScript heap deploy/kubernetes/statefulset.yaml gives the exporter (NODE_OPTIONS). */
const HEAP_MIB = 256;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const now = Date.parse('2026-12-05T00:00:00Z');

/** One instance's saved state, as a busy instance with a daily backup leaves it. */
function instanceState(i: number): unknown {
  const set = (d: number) => ({
    backupId: String(1_700_000_000 + i * 1000 + d),
    status: 'Success',
    type: 'FullBackup',
    startMs: now - d * DAY,
    endMs: now - d * DAY + HOUR,
    sizeBytes: 123_456_789_012,
    scope: 'instance',
  });
  const known = Array.from({ length: 8 }, (_, d) => [String(1_700_000_000 + i * 1000 + d), now - d * DAY]);
  return {
    tracker: {
      active: [{ jobId: String(5_000_000_000 + i), jobMode: 'Automated', firstSeen: now - HOUR, misses: 0 }],
      departed: [],
      counted: Array.from({ length: 14 }, (_, d) => [String(4_000_000_000 + i * 100 + d), now - d * DAY]),
      failures: [
        ['Automated', 3],
        ['Manual', 1],
      ],
      completions: [
        ['Automated|Finished', 400],
        ['Automated|Failed', 3],
        ['Manual|Finished', 20],
        ['Manual|Failed', 1],
      ],
      lastFailureMs: now - 3 * DAY,
    },
    history: {
      initialDone: true,
      lastEndMs: now,
      known,
      newestSuccess: [set(0), { ...set(1), type: 'IncrementalBackup' }],
      newestFinished: set(0),
      seen: [
        ['Success|FullBackup', 300],
        ['Success|IncrementalBackup', 100],
        ['Failed|FullBackup', 2],
      ],
      usable: known,
      newestFailedEndMs: now - 3 * DAY,
    },
    lastSuccessSeconds: now / 1000,
  };
}

if (process.argv[2] === '--load') {
  // The child: load the file as a start does, then report.
  const t0 = performance.now();
  const size = loadState(process.argv[3]!, createLogger({ level: 'error' }), now).size;
  const ms = performance.now() - t0;
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  process.stdout.write(JSON.stringify({ instances: size, ms, peakMiB: peakKb / 1024 }));
} else {
  const key = (i: number) => `production/cn-hangzhou/rm-bp1abcdefgh${String(i).padStart(6, '0')}`;
  // the largest instance's share of the file: its key, its state, a comma
  const perInstance = JSON.stringify({ [key(999_999)]: instanceState(999_999) }).length - 1;
  const n = Number(process.argv[2] ?? Math.floor((MAX_STATE_FILE_BYTES - 100) / perInstance));
  const instances = Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), instanceState(i)]));
  const path = join(mkdtempSync(join(tmpdir(), 'rds-bench-state-')), 'state.json');
  writeFileSync(path, JSON.stringify({ version: 1, saved_at: new Date(now).toISOString(), instances }));
  const bytes = statSync(path).size;
  // A fresh process, so that its peak resident memory is the load's; the baseline is a process that loads nothing.
  // The heap capped as deploy/kubernetes caps it: a file at the cap must load within it.
  const child = (args: string[]) =>
    JSON.parse(execFileSync(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, '--import', 'tsx', 'bench/state-file.ts', ...args], { encoding: 'utf8' }));
  const empty = join(mkdtempSync(join(tmpdir(), 'rds-bench-state-')), 'none.json');
  const base = child(['--load', empty]);
  const load = child(['--load', path]);
  console.log(
    `${n} instances: ${bytes} bytes (${Math.round(bytes / n)} per instance; cap ${MAX_STATE_FILE_BYTES}), ` +
      `loaded in ${Math.round(load.ms)} ms, peak RSS ${Math.round(load.peakMiB)} MiB (${Math.round(base.peakMiB)} MiB without a file)`,
  );
}
