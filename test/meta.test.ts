// Checks on the test suite itself.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether the call starting at `open` (just after "assert.ok(") has a second, top-level argument. */
function hasSecondArgument(text: string, open: number): boolean {
  let depth = 0;
  let quote: string | undefined;
  let inClass = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      // inside a string, or a regular expression literal (quote '/')
      if (c === '\\') i++;
      else if (quote === '/' && c === '[') inClass = true;
      else if (quote === '/' && c === ']') inClass = false;
      else if (c === quote && !inClass) quote = undefined;
      continue;
    }
    if (c === '/' && '(,=!&|:?[{};>'.includes(text.slice(open, i).trimEnd().at(-1) ?? '(')) quote = '/';
    else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return false;
      depth--;
    } else if (c === ',' && depth === 0) return true;
  }
  return false;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the test suite', () => {
  it('gives every assert.ok a message', () => {
    // Without one, a failing assert.ok makes Node re-read and parse the source to quote the
    // expression; on tsx-compiled TypeScript that never ends, and the run hangs instead of failing.
    const bare: string[] = [];
    for (const file of tsFiles('test')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/assert\.ok\(/g)) {
        const lineStart = text.lastIndexOf('\n', m.index) + 1;
        if (/^\s*(\/\/|\/\*|\*)/.test(text.slice(lineStart, m.index))) continue; // a comment
        if (!hasSecondArgument(text, m.index + m[0].length)) bare.push(`${file}:${text.slice(0, m.index).split('\n').length}`);
      }
    }
    assert.deepEqual(bare, [], `assert.ok without a message at ${bare.join(', ')}`);
  });
});
