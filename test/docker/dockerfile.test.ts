// Static checks on the Dockerfile (no container engine runs in CI here): it is parsed into
// instructions and the properties that matter for a safe, working image are asserted.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import dockerfilelint from 'dockerfilelint';
import { copiesOf, dockerignore, parseDockerfile, splitFlags, stagesOf, words, type Instruction, type Stage } from './dockerfile.js';

/** dockerfilelint's findings; it reads a .dockerfilelintrc from the directory given (none here). */
const lint = (text: string) => dockerfilelint.run('.', text);

const instructions = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const stages = stagesOf(instructions);
const final = stages.at(-1) as Stage;
const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));
const isIgnored = dockerignore(readFileSync('.dockerignore', 'utf8'));
const inFinal = (keyword: string): Instruction[] => final.instructions.filter((i) => i.keyword === keyword);
/** Whether a COPY --from puts `path` in the image: as its destination, or inside a directory copied whole. */
const copiedFromBuild = (path: string): boolean =>
  copiesOf(final).some((c) => c.from !== undefined && (path === c.dest || path.startsWith(`${c.dest.replace(/\/$/, '')}/`)));
const lastIn = (keyword: string): Instruction => {
  const found = inFinal(keyword).at(-1);
  assert.ok(found, `the final stage has no ${keyword}`);
  return found;
};

describe('Dockerfile', () => {
  it('is multi-stage on Node 20 images, and the runtime image installs nothing new', () => {
    assert.ok(stages.length >= 2, `expected a build stage and a runtime stage, found ${stages.length} FROM`);
    for (const s of stages)
      assert.match(
        s.image,
        /^(node:20[.\-\w]*|gcr\.io\/distroless\/nodejs20[-\w]*(:\S+)?)(@sha256:[0-9a-f]{64})?$/,
        `FROM ${s.image} is not a Node 20 image (package.json engines: node >= 20.19)`,
      );
    assert.deepEqual(
      inFinal('RUN').map((i) => i.args),
      [],
      'the runtime stage should only copy, not run commands',
    );
  });

  it('runs the final stage as a non-root, numeric user', () => {
    const user = lastIn('USER').args.split(':')[0] ?? '';
    assert.ok(!['root', '0', ''].includes(user), `USER ${user} is root`);
    // Kubernetes runAsNonRoot can only verify a numeric uid.
    assert.match(user, /^\d+$/, `USER ${user} should be numeric so runAsNonRoot can check it`);
  });

  it('sets NODE_ENV=production in the runtime stage', () => {
    assert.ok(
      inFinal('ENV').some((i) => /(^|\s)NODE_ENV=("?)production\2(\s|$)/.test(i.args)),
      'no ENV NODE_ENV=production in the final stage',
    );
  });

  it('runs dist/main.js with node, which a COPY into the final stage provides', () => {
    const entrypoint = words(lastIn('ENTRYPOINT').args);
    assert.ok(lastIn('ENTRYPOINT').args.startsWith('['), 'ENTRYPOINT should be exec form so node receives SIGTERM');
    assert.equal(entrypoint[0], 'node');
    const main = entrypoint[1] ?? '';
    assert.match(main, /\/dist\/main\.js$/);
    assert.ok(copiedFromBuild(main), `no COPY --from puts ${main} in the image`);
    // tsc writes src/main.ts to dist/main.js only if rootDir/outDir say so.
    const tsconfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: { rootDir?: string; outDir?: string } };
    assert.deepEqual([tsconfig.compilerOptions.rootDir, tsconfig.compilerOptions.outDir], ['src', 'dist']);
    assert.ok(existsSync('src/main.ts'), 'src/main.ts does not exist');
  });

  it('copies package.json next to dist/ (dist/version.js reads ../package.json)', () => {
    const dests = copiesOf(final).map((c) => c.dest.replace(/\/$/, ''));
    assert.ok(
      dests.includes('/app/package.json') && dests.includes('/app/dist') && dests.includes('/app/node_modules'),
      `final stage copies: ${dests.join(', ')}`,
    );
  });

  it('exposes 9877 and expects the configuration mounted, not baked into the image', () => {
    assert.ok(
      inFinal('EXPOSE').some((i) => words(i.args).some((w) => w.replace(/\/tcp$/, '') === '9877')),
      'no EXPOSE 9877',
    );
    const cmd = words(lastIn('CMD').args);
    const configArg = cmd.find((w) => w.startsWith('--config.file='));
    assert.ok(configArg, `CMD does not pass --config.file: ${cmd.join(' ')}`);
    assert.equal(
      configArg,
      '--config.file=/etc/alicloud-rds-backup-exporter/exporter.yml',
      'the mount point documented in README.md and used by deploy/kubernetes',
    );
    const configDir = posix.dirname(configArg.slice('--config.file='.length));
    const intoConfig = copiesOf(final).filter((c) => c.dest === configDir || c.dest.startsWith(`${configDir}/`));
    assert.deepEqual(
      intoConfig.map((c) => c.line),
      [],
      'a COPY bakes a configuration into the image',
    );
    const fromContext = stages.flatMap((st) => copiesOf(st)).filter((c) => c.sources.some((src) => /^config(\/|$)/.test(posix.normalize(src))));
    assert.deepEqual(
      fromContext.map((c) => c.line),
      [],
      'config/ is copied into a stage',
    );
  });

  it('has a HEALTHCHECK that runs dist/healthcheck.js, which a COPY from the build puts in the image', () => {
    const { flags, rest } = splitFlags(lastIn('HEALTHCHECK').args);
    assert.ok(flags.has('interval') && flags.has('timeout'), 'HEALTHCHECK should set --interval and --timeout');
    const m = /^CMD\s+(.*)$/.exec(rest);
    assert.ok(m, `HEALTHCHECK is not CMD: ${rest}`);
    assert.ok((m[1] ?? '').startsWith('['), 'HEALTHCHECK CMD should be exec form (no shell in the check)');
    // slim images have no curl or wget; the script follows --web.listen-address (test/healthcheck.test.ts)
    assert.deepEqual(words(m[1] ?? ''), ['node', '/app/dist/healthcheck.js']);
    assert.ok(copiedFromBuild('/app/dist/healthcheck.js'), 'no COPY --from puts /app/dist/healthcheck.js in the image');
    assert.ok(existsSync('src/healthcheck.ts'), 'src/healthcheck.ts does not exist');
  });

  it("copies the product's build output, dist/, whole: a module added to src/ needs no Dockerfile change", () => {
    const fromBuild = copiesOf(final).filter((c) => c.from !== undefined);
    assert.deepEqual(
      fromBuild.filter((c) => c.dest === '/app/dist').map((c) => c.sources),
      [['/app/dist']],
    );
    assert.deepEqual(
      fromBuild.filter((c) => c.dest.startsWith('/app/dist/')).map((c) => c.line),
      [],
      'a COPY of single files into dist/',
    );
  });

  it('builds the product only: tsconfig.json compiles src/, which holds neither the simulator nor the demo', () => {
    const tsconfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { include: string[] };
    assert.deepEqual(tsconfig.include, ['src/**/*.ts']);
    const sources = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(sources.includes('main.ts') && sources.length > 20, `src/ holds ${sources.length} modules`);
    assert.deepEqual(
      sources.filter((f) => /simulator|demo/i.test(f)),
      [],
      'a tool in src/',
    );
    const importsTool = sources.filter((f) => /from\s+['"][^'"]*\/(simulator|bench|test)\//.test(readFileSync(join('src', f), 'utf8')));
    assert.deepEqual(importsTool, [], 'the product imports a tool');
  });

  it('passes dockerfilelint with no finding', () => {
    assert.deepEqual(
      lint(readFileSync('Dockerfile', 'utf8')).map((f) => `line ${f.line}: ${f.rule}: ${f.title}`),
      [],
    );
  });

  it('leaves no placeholder: the image source label comes from a build argument without a made-up default', () => {
    const text = readFileSync('Dockerfile', 'utf8');
    assert.doesNotMatch(text, /\b(OWNER|CHANGEME|TODO|FIXME|XXX)\b|example\.(com|org)/, 'a placeholder is left in the Dockerfile');
    const label = inFinal('LABEL')
      .map((i) => i.args)
      .join(' ');
    const source = /org\.opencontainers\.image\.source="\$\{(\w+)\}"/.exec(label);
    assert.ok(source, `the source label should be set from a build argument: ${label}`);
    const arg = inFinal('ARG').find((i) => i.args.split('=')[0] === source[1]);
    assert.ok(arg, `ARG ${source[1]} is not declared in the final stage`);
    assert.match(arg.args, /^\w+(=""|)$/, `ARG ${arg.args} has a default value: pass the repository with --build-arg`);
  });

  it('takes the git revision and branch as build arguments: for build_info (through the build) and the labels', () => {
    const build = stages.find((s) => s.name === 'build');
    assert.ok(build, 'a stage named build');
    for (const [arg, variable] of [
      ['REVISION', 'BUILD_REVISION'],
      ['BRANCH', 'BUILD_BRANCH'],
    ] as const) {
      assert.ok(
        build.instructions.some((i) => i.keyword === 'ARG' && i.args === `${arg}=unknown`),
        `ARG ${arg}=unknown in the build stage`,
      );
      assert.ok(
        build.instructions.some((i) => i.keyword === 'RUN' && new RegExp(`${variable}="\\$\\{${arg}\\}"[^&]*npm run build`).test(i.args)),
        `npm run build gets ${variable} from ${arg}`,
      );
      assert.ok(
        inFinal('ARG').some((i) => i.args === `${arg}=unknown`),
        `ARG ${arg} in the final stage`,
      );
    }
    const label = inFinal('LABEL')
      .map((i) => i.args)
      .join(' ');
    assert.match(label, /org\.opencontainers\.image\.revision="\$\{REVISION\}"/);
    assert.match(label, /org\.opencontainers\.image\.ref\.name="\$\{BRANCH\}"/);
    const copied = copiesOf(final)
      .filter((c) => c.from !== undefined)
      .flatMap((c) => c.sources.map((src) => src.replace(/\/$/, '')));
    assert.ok(copied.includes('/app/dist') || copied.includes('/app/dist/build-info.json'), 'the image has dist/build-info.json, which dist/version.js reads');
  });

  it('builds with everything npm run build reads: the runbook that GET /runbook serves lands in dist/', () => {
    const build = stages.find((s) => s.name === 'build');
    assert.ok(build, 'a stage named build');
    const local = copiesOf(build)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.build ?? '';
    for (const file of [...script.matchAll(/node (scripts\/[\w.-]+\.mjs)/g)].map((m) => m[1]!))
      assert.ok(local.includes(file), `the build stage copies ${file}, which npm run build runs`);
    assert.ok(local.includes('docs/runbook.md'), 'the build stage copies docs/runbook.md, which npm run build puts in dist/');
  });

  it('installs dependencies with npm ci from the lockfile and drops dev dependencies', () => {
    const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    assert.ok(
      runs.some((r) => /\bnpm ci\b/.test(r)),
      'no stage runs npm ci',
    );
    assert.deepEqual(
      runs.filter((r) => /\bnpm (install|i)\b/.test(r)),
      [],
      'npm install ignores the lockfile; use npm ci',
    );
    assert.ok(
      runs.some((r) => /\bnpm run build\b/.test(r)),
      'no stage runs npm run build',
    );
    assert.ok(
      runs.some((r) => /\bnpm (prune|ci)\b[^&;]*--omit=dev\b/.test(r)),
      'no stage drops dev dependencies (npm prune --omit=dev or npm ci --omit=dev)',
    );
    const nodeModules = copiesOf(final).find((c) => c.sources.some((s) => /(^|\/)node_modules\/?$/.test(s)));
    assert.ok(nodeModules?.from, 'node_modules must come from a build stage');
  });

  it('copies only from named stages, and no ADD of remote URLs', () => {
    for (const s of stages)
      for (const c of copiesOf(s))
        if (c.from !== undefined) assert.ok(stageNames.has(c.from.toLowerCase()), `COPY --from=${c.from} at line ${c.line} names no stage`);
    const remote = instructions.filter((i) => i.keyword === 'ADD' && /\b(https?|git):\/\/|git@/.test(i.args));
    assert.deepEqual(
      remote.map((i) => i.line),
      [],
      'ADD of a remote URL (not checksummed, not cached)',
    );
  });

  it('puts no secrets in ENV, ARG or LABEL', () => {
    const secretName = /(KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL)/i;
    const offenders = instructions
      .filter((i) => ['ENV', 'ARG', 'LABEL'].includes(i.keyword))
      .flatMap((i) => {
        const names = [...i.args.matchAll(/(?:^|\s)([A-Za-z_][\w.-]*)(?==|\s|$)/g)].map((m) => m[1] ?? '');
        return names.filter((n) => secretName.test(n)).map((n) => `line ${i.line}: ${i.keyword} ${n}`);
      });
    assert.deepEqual(offenders, []);
    assert.ok(!/LTAI[0-9A-Za-z]{12,}/.test(readFileSync('Dockerfile', 'utf8')), 'the Dockerfile contains what looks like an AccessKey id');
  });

  it('copies from the build context only paths that exist and .dockerignore keeps', () => {
    const local = stages.flatMap((s) =>
      copiesOf(s)
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources.map((src) => ({ src, line: c.line }))),
    );
    assert.ok(local.length > 0, 'no COPY from the build context');
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'src'];
    assert.deepEqual(
      needed.filter((n) => !local.some((l) => posix.normalize(l.src).replace(/\/$/, '') === n)),
      [],
      'paths the build needs but never copies',
    );
    for (const { src, line } of local) {
      assert.ok(!/[*?[]/.test(src), `COPY at line ${line} uses a wildcard (${src}); name the files`);
      assert.ok(existsSync(src), `COPY at line ${line}: ${src} does not exist in the repository`);
      assert.ok(!isIgnored(src), `COPY at line ${line}: ${src} is excluded by .dockerignore`);
    }
  });
});

describe('dockerfilelint', () => {
  it('reports what it is there for (so a clean Dockerfile means something)', () => {
    const rules = lint('FROM node\nRUN apt-get install curl\nHEALTHCHECK --interval 30s CMD true\n').map((f) => f.rule);
    assert.deepEqual([...new Set(rules)].sort(), ['apt-get_missing_param', 'apt-get_recommends', 'missing_tag', 'healthcheck_options_missing_args'].sort());
  });
});

describe('.dockerignore', () => {
  it('keeps local builds, dependencies, VCS data and tests out of the build context', () => {
    for (const path of [
      'node_modules',
      'node_modules/pino/package.json',
      'dist/main.js',
      '.git/HEAD',
      'test/meta.test.ts',
      'simulator/server.ts',
      'coverage/lcov.info',
      'bench/results.json',
      'npm-debug.log',
      '.ci/x',
      'deploy/kubernetes/statefulset.yaml',
      'config/exporter.yml',
    ]) {
      assert.ok(isIgnored(path), `${path} is sent to the build context`);
    }
  });

  it('matches the way Docker does: root-relative, last rule wins', () => {
    const ignore = dockerignore('*.log\nsrc/**/*.test.ts\n!keep.log\n');
    const paths = ['a.log', 'keep.log', 'sub/a.log', 'src/x/y.test.ts', 'src/y.test.ts', 'src/y.ts'];
    assert.deepEqual(
      paths.map((p) => ignore(p)),
      [true, false, false, true, true, false],
    );
  });
});
