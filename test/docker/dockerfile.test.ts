// Static checks on the Dockerfile (no container engine runs in CI here): it is parsed into
// instructions and the properties that matter for a safe, working image are asserted.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';

interface Instruction {
  keyword: string;
  /** everything after the keyword, continuation lines joined */
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) return; // comments (and parser directives) are dropped, even inside a continuation
    if (!pending && line.trim() === '') return;
    const continues = line.endsWith('\\');
    const part = continues ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${part.trim()}`, line: pending.line } : { text: part.trim(), line: i + 1 };
    if (continues) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (match) out.push({ keyword: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').trim(), line: pending.line });
    pending = undefined;
  });
  assert.equal(pending, undefined, 'the Dockerfile ends inside a line continuation');
  return out;
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(m, `FROM at line ${ins.line} is not understood: ${ins.args}`);
      stages.push({ image: m[1] ?? '', name: m[2]?.toLowerCase(), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** Leading `--name=value` flags, and what follows them. */
function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags.set(m[1] ?? '', m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** The words of an exec-form (JSON array) or shell-form argument list. */
function words(args: string): string[] {
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    assert.ok(Array.isArray(parsed) && parsed.every((w) => typeof w === 'string'), `not a JSON array of strings: ${args}`);
    return parsed as string[];
  }
  return args.split(/\s+/).filter(Boolean);
}

interface Copy { from?: string; sources: string[]; dest: string; line: number }

function copiesOf(stage: Stage): Copy[] {
  let workdir = '/';
  const copies: Copy[] = [];
  for (const ins of stage.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.keyword !== 'COPY') continue;
    const { flags, rest } = splitFlags(ins.args);
    const parts = words(rest);
    assert.ok(parts.length >= 2, `COPY at line ${ins.line} needs a source and a destination`);
    const dest = parts.at(-1) ?? '';
    copies.push({ from: flags.get('from'), sources: parts.slice(0, -1), dest: posix.resolve(workdir, dest), line: ins.line });
  }
  return copies;
}

/** The .dockerignore rules, matched the way Docker does: root-relative globs, `!` re-includes, last match wins. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
    const glob: Record<string, string> = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' };
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/|\*\*|\*|\?/g, (token) => glob[token] ?? token);
    return { negate, re: new RegExp(`^${source}$`) };
  });
  return (path: string) => {
    const parts = posix.normalize(path).replace(/\/$/, '').split('/');
    // A path is excluded when it, or a directory above it, matches.
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (candidates.some((c) => rule.re.test(c))) excluded = !rule.negate;
    return excluded;
  };
}

const instructions = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const stages = stagesOf(instructions);
const final = stages.at(-1) as Stage;
const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));
const isIgnored = dockerignore(readFileSync('.dockerignore', 'utf8'));
const inFinal = (keyword: string): Instruction[] => final.instructions.filter((i) => i.keyword === keyword);
const lastIn = (keyword: string): Instruction => {
  const found = inFinal(keyword).at(-1);
  assert.ok(found, `the final stage has no ${keyword}`);
  return found;
};

describe('Dockerfile', () => {
  it('is multi-stage on Node 20 images, and the runtime image installs nothing new', () => {
    assert.ok(stages.length >= 2, `expected a build stage and a runtime stage, found ${stages.length} FROM`);
    for (const s of stages) assert.match(s.image, /^(node:20[.\-\w]*|gcr\.io\/distroless\/nodejs20[-\w]*(:\S+)?)(@sha256:[0-9a-f]{64})?$/, `FROM ${s.image} is not a Node 20 image (package.json engines: node >= 20.19)`);
    assert.deepEqual(inFinal('RUN').map((i) => i.args), [], 'the runtime stage should only copy, not run commands');
  });

  it('runs the final stage as a non-root, numeric user', () => {
    const user = lastIn('USER').args.split(':')[0] ?? '';
    assert.ok(!['root', '0', ''].includes(user), `USER ${user} is root`);
    // Kubernetes runAsNonRoot can only verify a numeric uid.
    assert.match(user, /^\d+$/, `USER ${user} should be numeric so runAsNonRoot can check it`);
  });

  it('sets NODE_ENV=production in the runtime stage', () => {
    assert.ok(inFinal('ENV').some((i) => /(^|\s)NODE_ENV=("?)production\2(\s|$)/.test(i.args)), 'no ENV NODE_ENV=production in the final stage');
  });

  it('runs dist/main.js with node, which a COPY into the final stage provides', () => {
    const entrypoint = words(lastIn('ENTRYPOINT').args);
    assert.ok(lastIn('ENTRYPOINT').args.startsWith('['), 'ENTRYPOINT should be exec form so node receives SIGTERM');
    assert.equal(entrypoint[0], 'node');
    const main = entrypoint[1] ?? '';
    assert.match(main, /\/dist\/main\.js$/);
    const copies = copiesOf(final);
    assert.ok(copies.some((c) => c.from !== undefined && (main === c.dest || main.startsWith(`${c.dest.replace(/\/$/, '')}/`))), `no COPY --from puts ${main} in the image`);
    // tsc writes src/main.ts to dist/main.js only if rootDir/outDir say so.
    const tsconfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: { rootDir?: string; outDir?: string } };
    assert.deepEqual([tsconfig.compilerOptions.rootDir, tsconfig.compilerOptions.outDir], ['src', 'dist']);
    assert.ok(existsSync('src/main.ts'), 'src/main.ts does not exist');
  });

  it('copies package.json next to dist/ (dist/version.js reads ../package.json)', () => {
    const dests = copiesOf(final).map((c) => c.dest.replace(/\/$/, ''));
    assert.ok(dests.includes('/app/package.json') && dests.includes('/app/dist') && dests.includes('/app/node_modules'), `final stage copies: ${dests.join(', ')}`);
  });

  it('exposes 9877 and passes a config file that a COPY puts there', () => {
    assert.ok(inFinal('EXPOSE').some((i) => words(i.args).some((w) => w.replace(/\/tcp$/, '') === '9877')), 'no EXPOSE 9877');
    const cmd = words(lastIn('CMD').args);
    const configArg = cmd.find((w) => w.startsWith('--config.file='));
    assert.ok(configArg, `CMD does not pass --config.file: ${cmd.join(' ')}`);
    const configPath = configArg.slice('--config.file='.length);
    const copy = copiesOf(final).find((c) => c.dest === configPath);
    assert.ok(copy, `no COPY writes ${configPath}`);
    assert.deepEqual(copy.sources, ['config/exporter.yml']);
  });

  it('has a HEALTHCHECK that asks node to fetch /-/healthy on the exposed port', () => {
    const { flags, rest } = splitFlags(lastIn('HEALTHCHECK').args);
    assert.ok(flags.has('interval') && flags.has('timeout'), 'HEALTHCHECK should set --interval and --timeout');
    const m = /^CMD\s+(.*)$/.exec(rest);
    assert.ok(m, `HEALTHCHECK is not CMD: ${rest}`);
    const command = words(m[1] ?? '');
    assert.equal(command[0], 'node', 'slim images have no curl or wget');
    assert.match(command.join(' '), /fetch\('http:\/\/127\.0\.0\.1:9877\/-\/healthy'\)/);
    assert.match(command.join(' '), /process\.exit\(1\)/, 'a refused connection must fail the check');
  });

  it('installs dependencies with npm ci from the lockfile and drops dev dependencies', () => {
    const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r)), 'no stage runs npm ci');
    assert.deepEqual(runs.filter((r) => /\bnpm (install|i)\b/.test(r)), [], 'npm install ignores the lockfile; use npm ci');
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)), 'no stage runs npm run build');
    assert.ok(runs.some((r) => /\bnpm (prune|ci)\b[^&;]*--omit=dev\b/.test(r)), 'no stage drops dev dependencies (npm prune --omit=dev or npm ci --omit=dev)');
    const nodeModules = copiesOf(final).find((c) => c.sources.some((s) => /(^|\/)node_modules\/?$/.test(s)));
    assert.ok(nodeModules?.from, 'node_modules must come from a build stage');
  });

  it('copies only from named stages, and no ADD of remote URLs', () => {
    for (const s of stages) for (const c of copiesOf(s)) if (c.from !== undefined) assert.ok(stageNames.has(c.from.toLowerCase()), `COPY --from=${c.from} at line ${c.line} names no stage`);
    const remote = instructions.filter((i) => i.keyword === 'ADD' && /\b(https?|git):\/\/|git@/.test(i.args));
    assert.deepEqual(remote.map((i) => i.line), [], 'ADD of a remote URL (not checksummed, not cached)');
  });

  it('puts no secrets in ENV, ARG or LABEL', () => {
    const secretName = /(KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL)/i;
    const offenders = instructions.filter((i) => ['ENV', 'ARG', 'LABEL'].includes(i.keyword)).flatMap((i) => {
      const names = [...i.args.matchAll(/(?:^|\s)([A-Za-z_][\w.-]*)(?==|\s|$)/g)].map((m) => m[1] ?? '');
      return names.filter((n) => secretName.test(n)).map((n) => `line ${i.line}: ${i.keyword} ${n}`);
    });
    assert.deepEqual(offenders, []);
    assert.ok(!/LTAI[0-9A-Za-z]{12,}/.test(readFileSync('Dockerfile', 'utf8')), 'the Dockerfile contains what looks like an AccessKey id');
  });

  it('copies from the build context only paths that exist and .dockerignore keeps', () => {
    const local = stages.flatMap((s) => copiesOf(s).filter((c) => c.from === undefined).flatMap((c) => c.sources.map((src) => ({ src, line: c.line }))));
    assert.ok(local.length > 0, 'no COPY from the build context');
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'config/exporter.yml'];
    assert.deepEqual(needed.filter((n) => !local.some((l) => posix.normalize(l.src).replace(/\/$/, '') === n)), [], 'paths the build needs but never copies');
    for (const { src, line } of local) {
      assert.ok(!/[*?[]/.test(src), `COPY at line ${line} uses a wildcard (${src}); name the files`);
      assert.ok(existsSync(src), `COPY at line ${line}: ${src} does not exist in the repository`);
      assert.ok(!isIgnored(src), `COPY at line ${line}: ${src} is excluded by .dockerignore`);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps local builds, dependencies, VCS data and tests out of the build context', () => {
    for (const path of ['node_modules', 'node_modules/pino/package.json', 'dist/main.js', '.git/HEAD', 'test/meta.test.ts', 'coverage/lcov.info', 'bench/results.json', 'npm-debug.log', '.ci/x']) {
      assert.ok(isIgnored(path), `${path} is sent to the build context`);
    }
  });

  it('matches the way Docker does: root-relative, last rule wins', () => {
    const ignore = dockerignore('*.log\nsrc/**/*.test.ts\n!keep.log\n');
    const paths = ['a.log', 'keep.log', 'sub/a.log', 'src/x/y.test.ts', 'src/y.test.ts', 'src/y.ts'];
    assert.deepEqual(paths.map((p) => ignore(p)), [true, false, false, true, true, false]);
  });
});
