import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, MAX_STATE_FILE_BYTES, readState, saveState, StateFileWriter, type StateFileStatus } from '../../src/collector/state-file.js';
import { createLogger } from '../../src/log.js';
import { LogCapture } from '../helpers.js';

describe('state file: temporary files', () => {
  it('removes the temporary files an interrupted save left, but not one a running process is writing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-state-'));
    const path = join(dir, 'state.json');
    saveState(path, new Map());
    // A process that ran and is gone, and one that runs now.
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => gone.on('exit', r));
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      for (const pid of [gone.pid, 999_999_999, process.pid, alive.pid, 'junk']) writeFileSync(`${path}.tmp-${pid}`, '{"half":');
      writeFileSync(join(dir, 'other.json.tmp-1'), 'not ours');
      const logs = new LogCapture();
      const state = loadState(path, createLogger({ destination: logs }));
      assert.equal(state.size, 0, 'the state itself was read');
      assert.deepEqual(readdirSync(dir).sort(), ['other.json.tmp-1', 'state.json', `state.json.tmp-${alive.pid}`].sort());
      assert.equal(logs.records().filter((r) => r.msg === 'removed a temporary state file left by an interrupted save').length, 4);
    } finally {
      alive.kill();
    }
  });

  it('leaves no temporary file behind after a save', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-state-'));
    saveState(join(dir, 'state.json'), new Map());
    assert.deepEqual(readdirSync(dir), ['state.json']);
    assert.ok(existsSync(join(dir, 'state.json')), 'the state file was written');
  });
});

const KEY = 'acct/cn-hangzhou/rm-1';
const NOW = Date.parse('2026-12-05T12:00:00Z');

/** A state file holding one instance whose state is `instance`. */
function stateFileWith(instance: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rds-state-')), 'state.json');
  writeFileSync(path, JSON.stringify({ version: 1, saved_at: '2026-12-05T11:00:00.000Z', instances: { [KEY]: instance } }));
  return path;
}

const tracker = (over: Record<string, unknown> = {}) => ({ active: [], departed: [], counted: [], failures: [], completions: [], ...over });
const set = (over: Record<string, unknown> = {}) => ({
  backupId: '9',
  status: 'Success',
  type: 'FullBackup',
  startMs: NOW - 7200_000,
  endMs: NOW - 3600_000,
  ...over,
});

describe('state file: what is restored', () => {
  it('drops the counts and times that cannot be true (negative, fractional, 1e308, Infinity), one line, and restores the rest', () => {
    const path = stateFileWith({
      tracker: tracker({
        active: [{ jobId: 'a1', jobMode: 'Automated', firstSeen: -1, misses: 0.5 }],
        departed: [{ jobId: 'd1', jobMode: 'Manual', firstSeen: NOW - 7200_000, misses: 1, departedAt: 1e308 }],
        counted: [
          ['c1', NOW - 1000],
          ['c2', 1e308],
        ],
        failures: [
          ['Automated', -3],
          ['Manual', 2.5],
          ['Huge', 1e308],
          ['Kept', 7],
        ],
        completions: [
          ['Automated|Finished', 28],
          ['Manual|Finished', 'INF'],
        ],
        lastFailureMs: -5,
      }),
      history: {
        initialDone: true,
        known: [['k1', 1e308]],
        newestSuccess: [set({ sizeBytes: -1 }), set({ backupId: '10', endMs: 1e308 })],
        seen: [
          ['Success|FullBackup', 4],
          ['Failed|FullBackup', -1],
        ],
        usable: [
          ['9', NOW],
          ['10', -1],
        ],
      },
      lastSuccessSeconds: 1e308,
    });
    // 1e999 is what JSON can say of Infinity; 'INF' stands for it above.
    writeFileSync(path, readFileSync(path, 'utf8').replace('"INF"', '1e999'));
    const logs = new LogCapture();
    const restored = readState(path, createLogger({ destination: logs }), NOW);
    const saved = restored.instances.get(KEY)!;
    assert.deepEqual(saved.tracker.failures, [['Kept', 7]]);
    assert.deepEqual(saved.tracker.completions, [['Automated|Finished', 28]]);
    assert.deepEqual(
      saved.tracker.counted,
      [
        ['c1', NOW - 1000],
        ['c2', NOW],
      ],
      'a counted job stays counted, remembered from now',
    );
    assert.deepEqual(saved.tracker.active, [{ jobId: 'a1', jobMode: 'Automated', firstSeen: NOW, misses: 0 }], 'a job in flight stays followed');
    assert.deepEqual(
      saved.tracker.departed,
      [{ jobId: 'd1', jobMode: 'Manual', firstSeen: NOW - 7200_000, misses: 1, departedAt: NOW }],
      'a departed job left the listing now, not never: it is not settled early',
    );
    assert.equal(saved.tracker.lastFailureMs, undefined);
    assert.deepEqual(saved.history?.known, [['k1', NOW]]);
    assert.deepEqual(saved.history?.newestSuccess, [{ ...set(), scope: 'instance' }], 'the absurd size dropped, the set with an absurd end dropped');
    assert.deepEqual(saved.history?.seen, [['Success|FullBackup', 4]]);
    assert.deepEqual(saved.history?.usable, [['9', NOW]]);
    assert.equal(saved.lastSuccessSeconds, undefined);
    assert.equal(restored.savedAtMs, Date.parse('2026-12-05T11:00:00.000Z'));
    const warn = logs.records().find((r) => r.level === 'warn')!;
    assert.match(String(warn.msg), /^state file: values that cannot be true .* were dropped; the rest is restored$/);
    assert.equal(warn.dropped, 14);
    assert.ok((warn.first as string[]).includes(`${KEY} tracker.failures[0]`), JSON.stringify(warn.first));
    assert.ok(existsSync(path), 'the file is not set aside');
    assert.ok(
      logs.records().some((r) => r.msg === 'state restored'),
      'the restore is logged',
    );
  });

  it('restores a sound file whole, with no warning', () => {
    const instance = { tracker: tracker({ failures: [['Automated', 3]], counted: [['c1', NOW]], lastFailureMs: NOW }), lastSuccessSeconds: NOW / 1000 };
    const logs = new LogCapture();
    const saved = loadState(stateFileWith(instance), createLogger({ destination: logs }), NOW).get(KEY);
    assert.deepEqual(saved, instance);
    assert.equal(logs.records().filter((r) => r.level === 'warn').length, 0);
  });

  it('refuses a FIFO at once, with one line, and sets it aside (reading it blocked the start for ever)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-state-'));
    const path = join(dir, 'state.json');
    execFileSync('mkfifo', [path]);
    // In another process: before the fix the read never returns, and would hang this one.
    const script = `import { readState } from ${JSON.stringify(new URL('../../src/collector/state-file.ts', import.meta.url).pathname)};
import { createLogger } from ${JSON.stringify(new URL('../../src/log.ts', import.meta.url).pathname)};
const r = readState(${JSON.stringify(path)}, createLogger({ level: 'info' }));
process.stdout.write('restored ' + r.instances.size + '\\n');`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.signal, null, 'it returned (not killed by the time-out)');
    assert.equal(run.status, 0, run.stderr);
    const warn = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.level === 'warn');
    assert.equal(warn?.msg, 'state file ignored, starting fresh: it is not a regular file but a FIFO');
    assert.match(run.stdout, /^restored 0$/m);
    assert.equal(existsSync(path), false, 'moved aside: the next save writes a regular file');
  });

  it(`refuses a file larger than ${MAX_STATE_FILE_BYTES} bytes without reading it, with one line, and sets it aside`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-state-'));
    const path = join(dir, 'state.json');
    writeFileSync(path, '');
    truncateSync(path, MAX_STATE_FILE_BYTES + 1);
    const logs = new LogCapture();
    assert.equal(loadState(path, createLogger({ destination: logs }), NOW).size, 0);
    assert.deepEqual(
      logs
        .records()
        .filter((r) => r.level === 'warn')
        .map((r) => r.msg),
      [`state file ignored, starting fresh: it is larger than ${MAX_STATE_FILE_BYTES} bytes, the most a start reads`],
    );
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('state.json.corrupt-')).length, 1);
    // at the cap itself, it is read (and here found not to be JSON)
    truncateSync(join(dir, readdirSync(dir)[0]!), 0);
    writeFileSync(path, '');
    truncateSync(path, MAX_STATE_FILE_BYTES);
    const atCap = new LogCapture();
    loadState(path, createLogger({ destination: atCap }), NOW);
    assert.deepEqual(
      atCap
        .records()
        .filter((r) => r.level === 'warn')
        .map((r) => r.msg),
      ['state file ignored, starting fresh: it is not valid JSON'],
    );
  });
});

describe('state file: writes', () => {
  it('a failed write leaves no temporary file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-state-'));
    const path = join(dir, 'state.json');
    // a directory in the way of the rename
    mkdirSync(path);
    writeFileSync(join(path, 'x'), '');
    assert.throws(() => saveState(path, new Map()));
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });

  it('a failing write is tried at each cycle and told truthfully: what a restart would restore (the older file and its time), the metrics, and the recovery', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-state-'));
    const path = join(dir, 'state.json');
    let clock = NOW;
    const statuses: StateFileStatus[] = [];
    const logs = new LogCapture();
    const writer = new StateFileWriter(
      path,
      createLogger({ destination: logs }),
      (s) => statuses.push(s),
      { instances: new Map() },
      () => clock,
    );
    assert.deepEqual(statuses, [{}], 'nothing to tell before the first write, no file found at start');
    writer.save(new Map());
    assert.deepEqual(statuses.at(-1), { lastWriteOk: true, lastSuccessMs: NOW });
    // The temporary file cannot be created: a directory in its place.
    const obstacle = `${path}.tmp-${process.pid}`;
    mkdirSync(obstacle);
    clock += 60_000;
    writer.save(new Map());
    clock += 60_000;
    writer.save(new Map());
    assert.deepEqual(statuses.at(-1), { lastWriteOk: false, lastSuccessMs: NOW }, 'the time of the file a restart would restore');
    const warnings = logs.records().filter((r) => r.level === 'warn');
    assert.equal(warnings.length, 1, 'logged once while the reason stays the same');
    assert.equal(
      warnings[0]!.msg,
      `cannot write the state file (tried again at each cycle); a restart now would restore the older file, saved at ${new Date(NOW).toISOString()}`,
    );
    assert.equal(warnings[0]!.code, 'EISDIR');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).saved_at, new Date(NOW).toISOString(), 'the older file is still there');
    rmdirSync(obstacle);
    clock += 60_000;
    writer.save(new Map());
    assert.deepEqual(statuses.at(-1), { lastWriteOk: true, lastSuccessMs: clock });
    const recovered = logs.records().find((r) => r.msg === 'state file written again');
    assert.equal(recovered?.failed_attempts, 2);
  });

  it('says a restart would find nothing when no older file exists', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rds-state-')), 'no-such-dir', 'state.json');
    const logs = new LogCapture();
    const statuses: StateFileStatus[] = [];
    new StateFileWriter(path, createLogger({ destination: logs }), (s) => statuses.push(s)).save(new Map());
    assert.deepEqual(statuses.at(-1), { lastWriteOk: false });
    assert.equal(
      logs.records().find((r) => r.level === 'warn')?.msg,
      'cannot write the state file (tried again at each cycle); a restart now would find no state file and start fresh',
    );
  });

  it('a writer for a file it did not restore (a reload changed the path) takes the time of the file on disk', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rds-state-')), 'state.json');
    saveState(path, new Map(), NOW);
    const statuses: StateFileStatus[] = [];
    new StateFileWriter(path, createLogger({ destination: new LogCapture() }), (s) => statuses.push(s));
    assert.deepEqual(statuses, [{ lastSuccessMs: statSync(path).mtimeMs }]);
  });
});
