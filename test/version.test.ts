// One version everywhere a user reads it: package.json, `--version`, build_info's version label,
// the image's version label and the newest release of CHANGELOG.md; and one Node.js floor for the
// README, package.json and every installed package.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { VERSION } from '../src/version.js';
import { parseDockerfile, stagesOf } from './docker/dockerfile.js';
import { series, startRig } from './helpers.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; engines: { node: string } };
const packageVersion = pkg.version;
const satisfies = createRequire(import.meta.url)('semver/functions/satisfies') as (version: string, range: string) => boolean;

describe('the version', () => {
  it('is a release version, the same in package.json, package-lock.json and src/version.ts', () => {
    assert.match(packageVersion, /^\d+\.\d+\.\d+$/, 'package.json version');
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { version: string; packages: Record<string, { version?: string }> };
    assert.deepEqual([VERSION, lock.version, lock.packages['']?.version], [packageVersion, packageVersion, packageVersion]);
  });

  it('is the newest release in CHANGELOG.md, below an Unreleased section', () => {
    const headings = [...readFileSync('CHANGELOG.md', 'utf8').matchAll(/^## (.*)$/gm)].map((m) => m[1]!);
    assert.equal(headings[0], 'Unreleased', 'the first section');
    const release = /^(\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})$/.exec(headings[1] ?? '');
    assert.ok(release, `the second section should be "## X.Y.Z - YYYY-MM-DD", found "## ${headings[1]}"`);
    assert.equal(release[1], packageVersion, 'the newest release is the package version');
  });

  it("is the image's version label by default", () => {
    const runtime = stagesOf(parseDockerfile(readFileSync('Dockerfile', 'utf8'))).at(-1)!;
    const args = new Map(runtime.instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
    assert.equal(args.get('VERSION'), packageVersion, 'ARG VERSION default in the final stage');
    const label = runtime.instructions.find((i) => i.keyword === 'LABEL' && i.args.includes('org.opencontainers.image.version'));
    assert.match(label?.args ?? '', /org\.opencontainers\.image\.version="\$\{VERSION\}"/, 'the label takes ARG VERSION');
  });

  it('is the tag of every versioned image the docs and manifests name', () => {
    for (const file of ['README.md', 'Dockerfile', 'deploy/kubernetes/statefulset.yaml']) {
      const tags = [...readFileSync(file, 'utf8').matchAll(/alicloud-rds-backup-exporter:(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
      assert.deepEqual(
        tags.filter((t) => t !== packageVersion),
        [],
        `${file} names another version`,
      );
    }
  });

  it('is what `--version` prints', () => {
    if (!existsSync('dist/main.js')) throw new Error('dist/main.js is missing: run `npm run build` (npm test does)');
    const run = spawnSync(process.execPath, ['dist/main.js', '--version'], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.split(' ')[1], packageVersion, run.stdout);
  });

  it("is build_info's version label", async () => {
    const rig = await startRig();
    try {
      const info = series(await rig.scrape(), 'alicloud_rds_backup_exporter_build_info');
      assert.deepEqual(
        info.map((s) => s.labels.version),
        [packageVersion],
      );
    } finally {
      await rig.close();
    }
  });
});

describe('the Node.js floor', () => {
  const floor = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];

  it('is the one the README states', () => {
    assert.ok(floor, `package.json engines.node should be ">=X.Y", found "${pkg.engines.node}"`);
    assert.match(readFileSync('README.md', 'utf8'), new RegExp(`Requires Node\\.js ≥ ${floor.replace('.', '\\.')}[,. ]`), 'the README names the floor');
  });

  it('admits every package npm ci installs, dev dependencies included (no EBADENGINE)', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refusing = Object.entries(lock.packages)
      .flatMap(([path, p]) =>
        p.engines && !Array.isArray(p.engines) && p.engines.node
          ? [{ name: `${path.replace(/^.*node_modules\//, '')}@${p.version}`, range: p.engines.node }]
          : [],
      )
      .filter((p) => !satisfies(`${floor}.0`, p.range));
    assert.deepEqual(refusing, [], `packages that refuse Node ${floor}.0`);
  });
});
