import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, saveState } from '../../src/collector/state-file.js';
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
