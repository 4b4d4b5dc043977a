// `npm run build` writes dist/build-info.json (scripts/build-info.mjs) from git, or from the image
// build's arguments; build_info reads it, with `unknown` for whatever is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBuildInfo } from '../src/version.js';

const SCRIPT = resolve('scripts/build-info.mjs');

/** Runs the script in `dir` with only `env` (and PATH without git unless given); returns what it wrote. */
function writeIn(dir: string, env: NodeJS.ProcessEnv = {}): unknown {
  const r = spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8', env: { PATH: mkdtempSync(join(tmpdir(), 'no-git-')), ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(join(dir, 'dist/build-info.json'), 'utf8'));
}

describe('build info', () => {
  it('is unknown where git is absent', () => {
    assert.deepEqual(writeIn(mkdtempSync(join(tmpdir(), 'rds-build-'))), { revision: 'unknown', branch: 'unknown' });
  });

  it('takes the revision and branch from git', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-build-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'feature-x');
    git('commit', '-q', '--allow-empty', '-m', 'one');
    assert.deepEqual(writeIn(dir, { PATH: process.env.PATH }), { revision: git('rev-parse', 'HEAD'), branch: 'feature-x' });
  });

  it('takes BUILD_REVISION and BUILD_BRANCH first (the image build passes them)', () => {
    assert.deepEqual(writeIn(mkdtempSync(join(tmpdir(), 'rds-build-')), { BUILD_REVISION: 'abc123', BUILD_BRANCH: 'release-0.2' }), {
      revision: 'abc123',
      branch: 'release-0.2',
    });
  });

  it('reads the file, and says unknown for a missing file or a value that is not one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-build-'));
    const file = join(dir, 'build-info.json');
    assert.deepEqual(readBuildInfo(pathToFileURL(file)), { revision: 'unknown', branch: 'unknown' });
    writeFileSync(file, JSON.stringify({ revision: 'abc123', branch: 'has space' }));
    assert.deepEqual(readBuildInfo(pathToFileURL(file)), { revision: 'abc123', branch: 'unknown' });
  });
});
