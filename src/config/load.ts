// Reads the YAML file, expands ${ENV} references in values, validates against the schema, and
// turns every problem into one human line: "FILE:LINE:COL: key.path: what is wrong".
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Path = ReadonlyArray<PropertyKey>;

export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

const ENV_REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${NAME}` and `${NAME:-default}` in one string; `$$` is a literal `$`.
 * Expansion happens after YAML parsing, so a value containing `#`, `:` or quotes cannot change
 * the structure of the file.
 */
export function expandEnv(value: string, env: NodeJS.ProcessEnv, onMissing: (name: string) => void): string {
  return value.replace(ENV_REF, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const found = env[name as string];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    onMissing(name as string);
    return '';
  });
}

function expandTree(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv, problems: Array<{ path: Path; message: string }>): unknown {
  if (typeof value === 'string') {
    return expandEnv(value, env, (name) => problems.push({ path, message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)` }));
  }
  if (Array.isArray(value)) return value.map((v, i) => expandTree(v, [...path, i], env, problems));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandTree(v, [...path, k], env, problems);
    return out;
  }
  return value;
}

/** Where in the file a key path points: the deepest node that exists along the path. */
function locate(doc: Document, lines: LineCounter, path: Path, keyOf = false): string {
  let node: unknown = doc.contents;
  let range: [number, number, number] | undefined = (doc.contents as Node | null)?.range ?? undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      range = (keyOf && key === path[path.length - 1] ? (pair.key as Node).range : (pair.value as Node | null)?.range ?? (pair.key as Node).range) ?? range;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      range = item.range ?? range;
      node = item;
    } else break;
  }
  if (!range) return '';
  const pos = lines.linePos(range[0]);
  return `:${pos.line}:${pos.col}`;
}

function describeIssue(issue: z.core.$ZodIssue): { path: Path; message: string; keyOf?: boolean } {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    return { path: [...issue.path, key], message: `unknown key${issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).join(', ')})` : ''}`, keyOf: true };
  }
  if (issue.code === 'invalid_type') {
    // Never echo the offending value: it may be a secret.
    return { path: issue.path, message: issue.message.startsWith('Invalid input: expected') && /received undefined$/.test(issue.message) ? `required key is missing (expected ${issue.expected})` : `expected ${issue.expected}` };
  }
  return { path: issue.path, message: issue.message };
}

/** Parses and validates configuration text. `source` names the file in messages. */
export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = lines.linePos(err.pos[0]);
    throw new ConfigError(`${source}:${pos.line}:${pos.col}: invalid YAML: ${err.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) throw new ConfigError(`${source}: the file is empty (at least "accounts" is required)`);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected a mapping of keys at the top level`);

  const problems: Array<{ path: Path; message: string; keyOf?: boolean }> = [];
  const expanded = expandTree(raw, [], env, problems);
  if (problems.length === 0) {
    const result = configSchema.safeParse(expanded);
    if (result.success) return result.data;
    // An unknown key first: a misspelt key usually also explains a "missing" one.
    const issues = [...result.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
    problems.push(...issues.map(describeIssue));
  }
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new ConfigError(`${source}${locate(doc, lines, first.path, first.keyOf)}: ${formatPath(first.path)}: ${first.message}${more}`);
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new ConfigError(`${file}: cannot read the configuration file: ${why}`);
  }
  return parseConfig(text, file, env);
}

/** A one-line summary for --config.check and the startup log. */
export function describeConfig(config: Config): string {
  const regions = config.accounts.reduce((n, a) => n + a.regions.length, 0);
  const instances = config.accounts.reduce((n, a) => n + a.regions.reduce((m, r) => m + r.instances.length, 0), 0);
  const discovering = config.accounts.reduce((n, a) => n + a.regions.filter((r) => r.discovery).length, 0);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const discovery = discovering > 0 ? ` (+ discovery in ${plural(discovering, 'region')})` : '';
  return `${plural(config.accounts.length, 'account')}, ${plural(regions, 'region')}, ${plural(instances, 'instance')}${discovery}, schedule "${config.poll.schedule}"`;
}
