// The image's files, without a container engine: the build stage is reproduced (`npm run build`
// into a temporary dist/, production dependencies only), the final stage's COPY instructions
// are applied to an empty directory the way Docker applies them, and the exporter is run from
// exactly those files.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { DEMO_CREDENTIAL, startSimulator, type Simulator } from '../../src/simulator/server.js';
import { freePort, until } from '../helpers.js';
import { copiesOf, parseDockerfile, stagesOf, words, type Stage } from './dockerfile.js';

const stages = stagesOf(parseDockerfile(readFileSync('Dockerfile', 'utf8')));
const build = stages.find((s) => s.name === 'build') as Stage;
const final = stages.at(-1) as Stage;

/** Every file under `dir`, relative to it, with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => f.split('\\').join('/'))
    .sort();
}

/** Relative module specifiers of a compiled ES module: static imports, re-exports, import(). */
function relativeImports(js: string): string[] {
  return [...js.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.\.?\/[^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

let root: string; // the temporary directory: build/ is the build stage's /, image/ the runtime's
let buildRoot: string;
let image: string;
/** node_modules/... paths of the production dependency tree, as npm lists it */
let packages: string[] = [];

before(function () {
  this.timeout(120_000);
  assert.ok(build, 'the Dockerfile has no stage named build');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  // The build stage runs `npm run build`; this is that script with the output redirected, and
  // build-info.mjs given build arguments as `docker build --build-arg REVISION=... BRANCH=...` would.
  assert.equal(pkg.scripts.build, 'tsc -p tsconfig.json && node scripts/build-info.mjs');
  assert.ok(build.instructions.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args)), 'the build stage does not run npm run build');
  root = mkdtempSync(join(tmpdir(), 'rds-exporter-image-'));
  buildRoot = join(root, 'build');
  image = join(root, 'image');
  const app = join(buildRoot, 'app');
  mkdirSync(app, { recursive: true });
  const tsc = spawnSync(process.execPath, ['node_modules/.bin/tsc', '-p', 'tsconfig.json', '--outDir', join(app, 'dist')], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, `tsc failed: ${tsc.stdout}${tsc.stderr}`);
  cpSync('package.json', join(app, 'package.json'));
  const info = spawnSync(process.execPath, [resolve('scripts/build-info.mjs')], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, BUILD_REVISION: '0a1b2c3d', BUILD_BRANCH: 'image-test' } });
  assert.equal(info.status, 0, `build-info.mjs failed: ${info.stderr}`);
  // `npm prune --omit=dev` keeps what `npm ls --omit=dev` lists: copy exactly those packages.
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' });
  const here = resolve('.');
  packages = ls.stdout.split('\n').filter((p) => p.startsWith(`${here}/node_modules/`)).map((p) => relative(here, p));
  assert.ok(packages.length > 10, `npm ls --omit=dev listed ${packages.length} packages: ${ls.stderr}`);
  for (const p of packages) if (!existsSync(join(app, p))) cpSync(p, join(app, p), { recursive: true });

  // The final stage: each COPY --from=build, applied as Docker applies it.
  for (const copy of copiesOf(final)) {
    assert.equal(copy.from, 'build', `COPY at line ${copy.line} is not from the build stage`);
    assert.ok(copy.sources.length === 1 || copy.destIsDir, `COPY at line ${copy.line}: several sources need a destination ending in /`);
    for (const src of copy.sources) {
      const from = join(buildRoot, src);
      assert.ok(existsSync(from), `COPY at line ${copy.line}: ${src} does not exist after npm run build`);
      const isDir = statSync(from).isDirectory();
      // A directory's contents go into the destination; a file into it when it ends in /.
      const to = join(image, !isDir && copy.destIsDir ? posix.join(copy.dest, posix.basename(src)) : copy.dest);
      mkdirSync(isDir ? to : dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the image built from the Dockerfile', () => {
  const appDir = () => join(image, 'app');
  const entryPoints = (): string[] => {
    const entrypoint = words(final.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.args ?? '[]');
    const healthcheck = /CMD\s+(\[.*\])$/.exec(final.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1)?.args ?? '');
    return [entrypoint[1] ?? '', words(healthcheck?.[1] ?? '[]')[1] ?? ''];
  };

  it('holds no simulator and no demo, which the same build does produce', () => {
    const built = filesUnder(join(buildRoot, 'app', 'dist'));
    assert.ok(built.some((f) => f.startsWith('simulator/')) && built.includes('demo.js'), 'the build no longer makes the simulator or the demo: this test checks nothing');
    const shipped = filesUnder(join(appDir(), 'dist'));
    assert.deepEqual(shipped.filter((f) => /simulator|demo/i.test(f)), []);
    assert.ok(shipped.includes('main.js') && shipped.includes('healthcheck.js'), `dist/ in the image: ${shipped.join(', ')}`);
  });

  it('holds production dependencies only', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const present = (name: string) => existsSync(join(appDir(), 'node_modules', name, 'package.json'));
    assert.deepEqual(Object.keys(pkg.dependencies).filter((n) => !present(n)), [], 'production dependencies missing');
    // @types/node is also a dependency of @alicloud/credentials' own dependencies: it stays.
    const devOnly = Object.keys(pkg.devDependencies).filter((n) => !packages.includes(`node_modules/${n}`));
    assert.ok(devOnly.includes('typescript') && devOnly.includes('mocha'), `dev-only dependencies: ${devOnly.join(', ')}`);
    assert.deepEqual(devOnly.filter(present), [], 'dev dependencies in the image');
  });

  it('has every module that the entry points import, relative imports followed to the end', () => {
    const [main = '', healthcheck = ''] = entryPoints();
    assert.deepEqual([main, healthcheck], ['/app/dist/main.js', '/app/dist/healthcheck.js']);
    const seen = new Set<string>();
    const missing: string[] = [];
    const visit = (file: string, from: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      if (!existsSync(file)) {
        missing.push(`${relative(image, file)} (imported by ${from})`);
        return;
      }
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) visit(resolve(dirname(file), spec), relative(image, file));
    };
    for (const entry of [main, healthcheck]) visit(join(image, entry), 'the Dockerfile');
    assert.deepEqual(missing, []);
    assert.ok(seen.size > 20, `only ${seen.size} modules reached from the entry points: is the import pattern still right?`);
  });

  it('runs `node dist/main.js --help` and --version from exactly the copied files', () => {
    const env = { PATH: process.env.PATH, NODE_ENV: 'production' };
    const help = spawnSync(process.execPath, ['dist/main.js', '--help'], { cwd: appDir(), encoding: 'utf8', env });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: alicloud-rds-backup-exporter/);
    const version = spawnSync(process.execPath, ['dist/main.js', '--version'], { cwd: appDir(), encoding: 'utf8', env });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, new RegExp((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version.replace(/\./g, '\\.')));
  });

  describe('running against the simulator', () => {
    let sim: Simulator;
    before(async () => {
      sim = await startSimulator();
      sim.world.addInstance('rm-image-01');
    });
    after(async () => sim?.close());

    it('polls, serves /metrics, and its HEALTHCHECK passes, then fails once the exporter is gone', async function () {
      this.timeout(60_000);
      const port = await freePort();
      const config = join(root, 'exporter.yml');
      writeFileSync(config, `poll:\n  schedule: "*/1 * * * * *"\naccounts:\n  - name: image\n    access_key_id: ${DEMO_CREDENTIAL.accessKeyId}\n    access_key_secret: ${DEMO_CREDENTIAL.accessKeySecret}\n    endpoint: ${sim.url}\n    regions:\n      - region: cn-hangzhou\n        instances: [rm-image-01]\n`);
      const env = { PATH: process.env.PATH, NODE_ENV: 'production' };
      const child = spawn(process.execPath, ['dist/main.js', `--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`], { cwd: appDir(), env, stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const healthcheck = (url: string) => spawnSync(process.execPath, ['dist/healthcheck.js'], { cwd: appDir(), encoding: 'utf8', env: { ...env, HEALTHCHECK_URL: url } }).status;
      try {
        let body = '';
        await until('a successful poll on /metrics', async () => {
          body = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
          return /alicloud_rds_backup_poll_success\{[^}]*instance_id="rm-image-01"[^}]*\} 1$/m.test(body);
        }, 20_000);
        assert.match(body, /^alicloud_rds_backup_exporter_build_info\{version="[^"]+",revision="0a1b2c3d",branch="image-test",/m, 'build_info reads the image\'s dist/build-info.json');
        assert.equal(healthcheck(`http://127.0.0.1:${port}/-/healthy`), 0);
        assert.equal(healthcheck(`http://127.0.0.1:${port}/-/no-such-page`), 1, 'a 404 must fail the check');
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0);
      assert.equal(healthcheck(`http://127.0.0.1:${port}/-/healthy`), 1, 'a refused connection must fail the check');
    });
  });
});
