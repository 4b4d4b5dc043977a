// Checks on the test suite itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
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

/** The test files mocha would run with `args` and the project's .mocharc (a dry run: nothing is executed). */
function filesMochaRuns(args: string[]): string[] {
  const run = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', '--dry-run', '--reporter', 'json', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, `mocha ${args.join(' ')}: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { tests: Array<{ file: string }> };
  return [...new Set(report.tests.map((t) => t.file.slice(process.cwd().length + 1)))].sort();
}

/** The arguments an npm script gives mocha, single quotes removed. */
function mochaArgsOf(script: string): string[] {
  const command = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts[script] ?? '';
  const at = command.lastIndexOf('mocha ');
  assert.ok(at >= 0, `npm run ${script} runs no mocha: ${command}`);
  return [...command.slice(at + 'mocha '.length).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('the test commands', function () {
  this.timeout(60_000);
  const all = tsFiles('test')
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
  const unitExcluded = /^test\/(e2e|faults|prometheus|grafana|bench)\/|^test\/docker\/image\.test\.ts$/;

  it('`npx mocha <file>` runs that file only', () => {
    assert.deepEqual(filesMochaRuns(['test/log.test.ts']), ['test/log.test.ts']);
  });

  it('`npm test` runs every test file', () => {
    assert.ok(all.length > 50, `found ${all.length} test files`);
    assert.deepEqual(filesMochaRuns(mochaArgsOf('test')), all);
  });

  it('`npm run test:unit` runs every file but the end-to-end, fault, promtool, Prometheus, bench and image suites', () => {
    const unit = all.filter((f) => !unitExcluded.test(f));
    assert.ok(unit.includes('test/collector/poller.test.ts') && unit.includes('test/config/load.test.ts'), `unit files: ${unit.join(', ')}`);
    assert.deepEqual(filesMochaRuns(mochaArgsOf('test:unit')), unit);
  });

  it('.ci/run runs `npm test`, bounded by at least twice the duration its comment states', () => {
    const ci = readFileSync('.ci/run', 'utf8');
    const stated = /whole suite takes about (\d+) minutes/.exec(ci)?.[1];
    const bound = /^timeout (\d+) npm test$/m.exec(ci)?.[1];
    assert.ok(stated && bound, `stated: ${stated}, bound: ${bound}`);
    assert.ok(Number(bound) >= 2 * 60 * Number(stated), `a ${bound} s bound for a ${stated}-minute suite`);
  });

  it('`npm run test:update-golden` runs the golden test only', () => {
    assert.deepEqual(filesMochaRuns(mochaArgsOf('test:update-golden')), ['test/e2e/golden.test.ts']);
  });
});
