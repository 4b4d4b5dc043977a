// Checks on the test suite itself.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the test suite', () => {
  it('gives every assert.ok a message', () => {
    // Without one, a failing assert.ok makes Node re-read and parse the source to quote the
    // expression; on tsx-compiled TypeScript that never ends, and the run hangs instead of failing.
    const bare: string[] = [];
    for (const file of tsFiles('test')) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (/assert\.ok\(.*\);\s*$/.test(line) && !/, ['`"]/.test(line) && !/, [a-zA-Z]+\)/.test(line)) bare.push(`${file}:${i + 1}`);
      });
    }
    assert.deepEqual(bare, [], `assert.ok without a message at ${bare.join(', ')}`);
  });
});
