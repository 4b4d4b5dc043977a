// A small Dockerfile reader for static tests (no container engine runs here): instructions,
// stages, COPY sources and destinations, and .dockerignore matching as Docker does it.
import assert from 'node:assert/strict';
import { posix } from 'node:path';

export interface Instruction {
  keyword: string;
  /** everything after the keyword, continuation lines joined */
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
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

export function stagesOf(instructions: Instruction[]): Stage[] {
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
export function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags.set(m[1] ?? '', m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** The words of an exec-form (JSON array) or shell-form argument list. */
export function words(args: string): string[] {
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    assert.ok(Array.isArray(parsed) && parsed.every((w) => typeof w === 'string'), `not a JSON array of strings: ${args}`);
    return parsed as string[];
  }
  return args.split(/\s+/).filter(Boolean);
}

export interface Copy {
  from?: string;
  sources: string[];
  /** absolute, resolved against WORKDIR */
  dest: string;
  /** the destination was written with a trailing `/` (a directory) */
  destIsDir: boolean;
  line: number;
}

export function copiesOf(stage: Stage): Copy[] {
  let workdir = '/';
  const copies: Copy[] = [];
  for (const ins of stage.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.keyword !== 'COPY') continue;
    const { flags, rest } = splitFlags(ins.args);
    const parts = words(rest);
    assert.ok(parts.length >= 2, `COPY at line ${ins.line} needs a source and a destination`);
    const dest = parts.at(-1) ?? '';
    copies.push({ from: flags.get('from'), sources: parts.slice(0, -1), dest: posix.resolve(workdir, dest), destIsDir: dest.endsWith('/'), line: ins.line });
  }
  return copies;
}

/** The .dockerignore rules, matched the way Docker does: root-relative globs, `!` re-includes, last match wins. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
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
