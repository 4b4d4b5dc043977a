// Reads the YAML file, expands ${ENV} references in values, validates against the schema, and
// turns every problem into one human line: "FILE:LINE:COL: key.path: what is wrong". Nothing from
// the file is ever quoted back (a value may be a secret, even one written where a key belongs), and
// nothing a file can hold makes this throw anything but a ConfigError.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, Parser, parseDocument, visit, type Document, type ErrorCode, type Node, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { configSchema, formatDuration, tickGapsOf, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The largest configuration file read; a real one is a few kilobytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Problems listed before "... and N more problems". */
export const MAX_PROBLEMS_SHOWN = 20;
/** Alias expansions allowed when the document becomes data (a "billion laughs" file needs millions). */
const MAX_ALIAS_COUNT = 100;
/**
 * Collections nested in one another, at most. The deepest key of this file is 7 deep; the YAML
 * library recurses once per level and runs out of stack near a thousand.
 */
export const MAX_NESTING = 64;

type Path = ReadonlyArray<PropertyKey>;

interface Problem {
  path: Path;
  message: string;
  /** point at the key rather than its value */
  keyOf?: boolean;
  /** a position in the text, when known better than by the path */
  offset?: number;
  /** no key path to show (a YAML syntax error) */
  bare?: boolean;
  /** where to point when it is not `path` (an unknown key whose name is not shown) */
  locateBy?: Path;
}

/** Key names are shown when they look like names; anything else written as a key (a value put in the wrong place?) is not. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * An unknown key is named only when it looks like one of ours: short snake_case (`instancez`,
 * `__proto__`) or a short camelCase word (`accessKeyId`). Anything else (`SuperSecretValue123`) may
 * be a secret pasted in the wrong place, and is pointed at by its line only.
 */
const PLAUSIBLE_KEY = /^(?=.{1,40}$)(_*[a-z][a-z0-9]*(_+[a-z0-9]+)*_*|[a-z]+([A-Z][a-z]+)+)$/;

export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    const name = typeof key === 'string' && !PLAIN_KEY.test(key) ? '(key)' : String(key);
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? name : `.${name}`;
  }
  return out === '' ? '(top level)' : out;
}

const ENV_REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${NAME}` and `${NAME:-default}` in one string; `$$` is a literal `$`.
 * Expansion happens after YAML parsing, so a value containing `#`, `:` or quotes cannot change
 * the structure of the file. A `${` that does not form a reference is reported through `onMalformed`.
 */
export function expandEnv(value: string, env: NodeJS.ProcessEnv, onMissing: (name: string) => void, onMalformed: () => void = () => undefined): string {
  const out = value.replace(ENV_REF, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const found = env[name as string];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    onMissing(name as string);
    return '';
  });
  // What is left once every reference and `$$` is taken out must hold no `${`.
  if (value.replace(ENV_REF, '').includes('${')) onMalformed();
  return out;
}

interface Expansion {
  env: NodeJS.ProcessEnv;
  problems: Problem[];
  /** unset variables: problems (at run time), or warnings (for --config.check, which has no secrets to hand) */
  unset: Problem[];
}

/** A plain copy of the parsed tree, with `${ENV}` expanded in strings when `env` is given. */
function expandTree(value: unknown, path: PropertyKey[], expansion: Expansion | undefined): unknown {
  if (typeof value === 'string' && expansion) {
    let unset = false;
    const expanded = expandEnv(
      value,
      expansion.env,
      // No hint of a default: the variable may hold a secret, which must never have one in the file.
      (name) => {
        unset = true;
        expansion.unset.push({ path, message: `environment variable ${name} is not set` });
      },
      () => expansion.problems.push({ path, message: 'malformed ${...} reference: write ${NAME} or ${NAME:-default}, and $$ for a literal $' }),
    );
    // A value whose variable is unset is not checked further: what it will be is not known here.
    return unset ? UNSET : expanded;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandTree(v, [...path, i], expansion));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty, not assignment: a key named __proto__ must stay a key (and be rejected as
    // unknown), not replace the object's prototype.
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, { value: expandTree(v, [...path, k], expansion), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Stands for a value whose environment variable is unset; a non-empty string, so that most rules pass. */
const UNSET = '${unset}';

/** Where in the file a key path points: the deepest node that exists along the path. */
function locate(doc: Document, lines: LineCounter, problem: Problem): string {
  if (problem.offset !== undefined) {
    const pos = lines.linePos(problem.offset);
    return `:${pos.line}:${pos.col}`;
  }
  const { keyOf } = problem;
  const path = problem.locateBy ?? problem.path;
  let node: unknown = doc.contents;
  let range: [number, number, number] | undefined = (doc.contents as Node | null)?.range ?? undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      range = (keyOf && key === path[path.length - 1] ? (pair.key as Node).range : ((pair.value as Node | null)?.range ?? (pair.key as Node).range)) ?? range;
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

/** The YAML library's own messages can quote the text (an alias name, a tag): ours never do. */
const YAML_MESSAGES: Partial<Record<ErrorCode, string>> = {
  ALIAS_PROPS: 'an alias cannot carry a tag or an anchor',
  BAD_ALIAS: 'an alias (*name) refers to no anchor defined before it; quote a value that starts with *',
  BAD_DIRECTIVE: 'malformed directive',
  BAD_DQ_ESCAPE: 'malformed escape sequence in a double-quoted string',
  BAD_INDENT: 'wrong indentation',
  BAD_PROP_ORDER: 'anchors and tags must come before the value',
  BAD_SCALAR_START: 'a plain value cannot start with this character; quote it',
  BLOCK_AS_IMPLICIT_KEY: 'a nested block cannot be a key',
  BLOCK_IN_FLOW: 'a block value cannot be inside [ ] or { }',
  DUPLICATE_KEY: 'Map keys must be unique',
  KEY_OVER_1024_CHARS: 'a key is longer than 1024 characters',
  MISSING_CHAR: 'a closing character is missing (quote, bracket or brace)',
  MULTILINE_IMPLICIT_KEY: 'a key must be on a single line',
  MULTIPLE_ANCHORS: 'a value has more than one anchor',
  MULTIPLE_DOCS: 'the file holds more than one YAML document',
  MULTIPLE_TAGS: 'a value has more than one tag',
  NON_STRING_KEY: 'keys must be strings',
  RESOURCE_EXHAUSTION: 'too many alias expansions (a "billion laughs" file?)',
  TAB_AS_INDENT: 'tabs cannot be used for indentation',
  TAG_RESOLVE_FAILED: 'unknown tag (remove the !tag)',
  UNEXPECTED_TOKEN: 'unexpected text; check indentation and quoting',
  BAD_COLLECTION_TYPE: 'a tag does not fit its value',
};

/** Ours for the library's error: it says "resource exhaustion" for a stack overflow too. */
function yamlMessage(err: YAMLError): string {
  if (err.code === 'RESOURCE_EXHAUSTION' && /call stack/i.test(err.message)) return `values nested more than ${MAX_NESTING} deep`;
  return YAML_MESSAGES[err.code] ?? 'the file cannot be parsed';
}

/** The key path of a node inside the document, from the ancestors `visit` hands over. */
function pathOf(ancestors: readonly unknown[], node: unknown): PropertyKey[] {
  const path: PropertyKey[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length; i++) {
    const here = chain[i];
    if (isPair(here) && isScalar(here.key)) path.push(String(here.key.value));
    else if (isSeq(here)) {
      const at = here.items.indexOf(chain[i + 1] as never);
      if (at >= 0) path.push(at);
    }
  }
  return path;
}

function describeIssue(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      PLAUSIBLE_KEY.test(key)
        ? { path: [...issue.path, key], message: 'unknown key', keyOf: true }
        : { path: issue.path, locateBy: [...issue.path, key], keyOf: true, message: 'unknown key on this line (not shown: it does not look like a key name)' },
    );
  }
  if (issue.code === 'invalid_type') {
    // Never echo the offending value: it may be a secret.
    return [
      {
        path: issue.path,
        message:
          issue.message.startsWith('Invalid input: expected') && /received undefined$/.test(issue.message)
            ? `required key is missing (expected ${issue.expected})`
            : `expected ${issue.expected}`,
      },
    ];
  }
  return [{ path: issue.path, message: issue.message }];
}

/** Each problem as one line, `FILE:LINE:COL: key.path: message`, in file order, without repeats. */
function formatProblems(source: string, doc: Document | undefined, lines: LineCounter, problems: readonly Problem[]): string[] {
  const located = problems.map((p) => {
    const where = doc ? locate(doc, lines, p) : '';
    const [line, col] = where.split(':').slice(1).map(Number);
    return { text: `${source}${where}: ${p.bare ? '' : `${formatPath(p.path)}: `}${p.message}`, line: line ?? 0, col: col ?? 0 };
  });
  // In file order; the sort is stable, so problems at one place keep the schema's order.
  located.sort((a, b) => a.line - b.line || a.col - b.col);
  return [...new Set(located.map((l) => l.text))];
}

function fail(source: string, doc: Document | undefined, lines: LineCounter, problems: readonly Problem[]): never {
  const unique = formatProblems(source, doc, lines, problems);
  const shown = unique.slice(0, MAX_PROBLEMS_SHOWN);
  if (unique.length > shown.length) shown.push(`${source}: ... and ${unique.length - shown.length} more problems`);
  throw new ConfigError(shown.join('\n'));
}

/** The offset of the opening quote of the quoted value that runs on to `end` (an unclosed quote). */
function unclosedQuoteStart(text: string, end: number): number | undefined {
  let start: number | undefined;
  const walk = (token: unknown): void => {
    if (Array.isArray(token)) {
      token.forEach(walk);
      return;
    }
    if (token === null || typeof token !== 'object') return;
    const t = token as { type?: string; offset?: number; source?: string };
    if (
      (t.type === 'double-quoted-scalar' || t.type === 'single-quoted-scalar') &&
      t.offset !== undefined &&
      t.source !== undefined &&
      t.offset <= end &&
      end <= t.offset + t.source.length
    ) {
      start = Math.max(start ?? 0, t.offset);
    }
    for (const child of Object.values(token)) if (child !== null && typeof child === 'object') walk(child);
  };
  for (const token of new Parser().parse(text)) walk(token);
  return start;
}

/**
 * The YAML library's errors as problems. It reports where it noticed, which can be far from the
 * cause: an unclosed quote is reported at the end of the file (here: at the quote), and one tab used
 * as indentation brings errors about the structure it broke (here: the tab alone).
 */
function syntaxProblems(text: string, errors: readonly YAMLError[]): Problem[] {
  const tabs = errors.filter((err) => err.code === 'TAB_AS_INDENT');
  return (tabs.length > 0 ? tabs : errors).map((err) => {
    const quote = err.code === 'MISSING_CHAR' && /quote/i.test(err.message) ? unclosedQuoteStart(text, err.pos[0]) : undefined;
    return quote !== undefined
      ? { path: [], bare: true, offset: quote, message: 'invalid YAML: this quoted value has no closing quote' }
      : { path: [], bare: true, offset: err.pos[0], message: `invalid YAML: ${yamlMessage(err)}` };
  });
}

export interface ParseOptions {
  /** expand `${NAME}` references from this environment (none when absent) */
  env?: NodeJS.ProcessEnv;
  /** an empty file is an empty mapping */
  allowEmpty?: boolean;
}

export interface Checked<T> {
  /** the validated value; absent when a value that comes from an unset variable could not be checked */
  data?: T;
  /**
   * One line per variable the file names that is not set (the exporter will need it), and per
   * setting that works but defeats its purpose (configWarnings), in the one-line form.
   */
  warnings: string[];
}

/**
 * Settings the exporter runs with, but not as they mean: warnings, not errors, so that a
 * configuration that ran before an upgrade still starts.
 */
function configWarnings(config: Config): Problem[] {
  const { timeout_seconds: timeout, deadline } = config.poll;
  const problems: Problem[] = [];
  // A hung request is then cut by the deadline, never by its own time-out: never retried within
  // the poll, and the other calls of the poll are cut with it.
  if (timeout >= deadline) {
    problems.push({
      path: ['poll', 'timeout_seconds'],
      message: `${timeout} does not fit in poll.deadline (${formatDuration(deadline)}): a request that hangs is cut by the deadline, never by its own time-out, and is not retried within the poll; set it below ${deadline}`,
    });
  }
  return problems;
}

/**
 * Parses and validates configuration text. `source` names the file in messages. Every problem
 * is one line of the ConfigError's message (at most MAX_PROBLEMS_SHOWN + 1 lines); each warning
 * (configWarnings) is one line given to `onWarning`.
 */
export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env, onWarning?: (line: string) => void): Config {
  const checked = checkYaml(text, source, configSchema, { env }, 'error', configWarnings);
  for (const line of checked.warnings) onWarning?.(line);
  return checked.data as Config;
}

/**
 * For --config.check: like parseConfig, but an environment variable the file names that is not
 * set is a warning (the exporter will need it; the check does not). The value it would give is
 * not checked; when the configuration cannot be built without it, `data` is absent.
 */
export function checkConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): Checked<Config> {
  return checkYaml(text, source, configSchema, { env }, 'warn', configWarnings);
}

/**
 * YAML text validated against `schema`, with the rules of the main configuration file: nothing
 * quoted, every problem one line. `${ENV}` references are expanded when `env` is given.
 */
export function parseYaml<S extends z.ZodType>(text: string, source: string, schema: S, opts: ParseOptions = {}): z.output<S> {
  return checkYaml(text, source, schema, opts, 'error').data as z.output<S>;
}

/**
 * The offset of the first collection nested more than MAX_NESTING deep, walked without recursion
 * (the YAML library's own walk overflows the stack on deep nesting, and says so as "resource
 * exhaustion").
 */
function tooDeep(text: string): number | undefined {
  const stack: Array<{ token: unknown; depth: number }> = [];
  for (const token of new Parser().parse(text)) stack.push({ token, depth: 0 });
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (token === null || typeof token !== 'object') continue;
    const t = token as { type?: string; offset?: number };
    const nests = t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection';
    const here = nests ? depth + 1 : depth;
    if (here > MAX_NESTING) return t.offset ?? 0;
    for (const child of Object.values(token)) if (child !== null && typeof child === 'object') stack.push({ token: child, depth: here });
  }
  return undefined;
}

function checkYaml<S extends z.ZodType>(
  text: string,
  source: string,
  schema: S,
  opts: ParseOptions,
  unsetEnv: 'error' | 'warn',
  warningsOf: (data: z.output<S>) => Problem[] = () => [],
): Checked<z.output<S>> {
  const lines = new LineCounter();
  const deep = tooDeep(text);
  if (deep !== undefined) {
    const line = text.slice(0, deep).split('\n').length;
    const col = deep - text.lastIndexOf('\n', deep - 1);
    throw new ConfigError(`${source}:${line}:${col}: invalid YAML: values nested more than ${MAX_NESTING} deep`);
  }
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  } catch {
    throw new ConfigError(`${source}: invalid YAML: the file cannot be parsed`);
  }
  if (doc.errors.length > 0) fail(source, doc, lines, syntaxProblems(text, doc.errors));
  // An alias whose anchor is missing throws (quoting its name) when the document becomes data:
  // find it first, with its place.
  const aliasProblems: Problem[] = [];
  visit(doc, {
    Alias(_key, node, ancestors) {
      if (node.resolve(doc) === undefined) {
        aliasProblems.push({ path: pathOf(ancestors, node), offset: node.range?.[0] ?? 0, message: `invalid YAML: ${YAML_MESSAGES.BAD_ALIAS!}` });
      }
    },
  });
  if (aliasProblems.length > 0) fail(source, doc, lines, aliasProblems);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const exhausted = err instanceof Error && /resource exhaustion|alias/i.test(err.message);
    throw new ConfigError(`${source}: invalid YAML: ${exhausted ? YAML_MESSAGES.RESOURCE_EXHAUSTION! : 'the file cannot be turned into data'}`);
  }
  if ((raw === null || raw === undefined) && opts.allowEmpty) raw = {};
  if (raw === null || raw === undefined) throw new ConfigError(`${source}: the file is empty (at least "accounts" is required)`);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected a mapping of keys at the top level`);

  const expansion: Expansion | undefined = opts.env ? { env: opts.env, problems: [], unset: [] } : undefined;
  const expanded = expandTree(raw, [], expansion);
  const problems = [...(expansion?.problems ?? [])];
  const unset = expansion?.unset ?? [];
  if (unsetEnv === 'error') problems.push(...unset);
  let result;
  try {
    result = schema.safeParse(expanded);
  } catch {
    throw new ConfigError(`${source}: the configuration cannot be checked`);
  }
  if (!result.success) {
    // A value that came from a variable which is unset, or from a malformed reference, would
    // fail its own rule too: that is said once, above.
    const envPaths = new Set([...problems, ...unset].map((p) => formatPath(p.path)));
    for (const issue of result.error.issues) problems.push(...describeIssue(issue).filter((p) => !envPaths.has(formatPath(p.path))));
  }
  if (problems.length > 0) fail(source, doc, lines, problems);
  const warnings = formatProblems(source, doc, lines, [
    ...unset.map((p) => ({ ...p, message: `${p.message} (the exporter needs it when it runs)` })),
    ...(result.success ? warningsOf(result.data) : []),
  ]);
  return result.success ? { data: result.data, warnings } : { warnings };
}

/**
 * A ConfigError for a problem found after the file was read (a file it names cannot be read), at
 * the place of `path` in the text, in the one-line form.
 */
export function problemAt(text: string, source: string, path: Path, message: string): ConfigError {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  return new ConfigError(formatProblems(source, doc.errors.length > 0 ? undefined : doc, lines, [{ path, message }]).join('\n'));
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, onWarning?: (line: string) => void): Config {
  return parseConfig(readConfigText(file), file, env, onWarning);
}

export function checkConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Checked<Config> {
  return checkConfig(readConfigText(file), file, env);
}

/** Reads the file, refusing what is not a regular file or is over MAX_CONFIG_BYTES. */
export function readConfigText(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new ConfigError(`${file}: cannot read the configuration file: ${why}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ConfigError(`${file}: cannot read the configuration file: is a directory`);
    if (!stat.isFile()) throw new ConfigError(`${file}: cannot read the configuration file: not a regular file`);
    if (stat.size > MAX_CONFIG_BYTES) throw new ConfigError(`${file}: cannot read the configuration file: larger than ${MAX_CONFIG_BYTES} bytes`);
    // Read at most one byte past the limit: the file may grow while it is read.
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) throw new ConfigError(`${file}: cannot read the configuration file: larger than ${MAX_CONFIG_BYTES} bytes`);
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read the configuration file: ${code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable')}`);
  } finally {
    closeSync(fd);
  }
}

/** A one-line summary for --config.check and the startup log. */
export function describeConfig(config: Config): string {
  const regions = config.accounts.reduce((n, a) => n + a.regions.length, 0);
  const instances = config.accounts.reduce((n, a) => n + a.regions.reduce((m, r) => m + r.instances.length, 0), 0);
  const discovering = config.accounts.reduce((n, a) => n + a.regions.filter((r) => r.discovery).length, 0);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const discovery = discovering > 0 ? ` (+ discovery in ${plural(discovering, 'region')})` : '';
  const shard = config.shard.count > 1 ? `, shard ${config.shard.index} of ${config.shard.count}` : '';
  return `${plural(config.accounts.length, 'account')}, ${plural(regions, 'region')}, ${plural(instances, 'instance')}${discovery}, schedule "${config.poll.schedule}"${shard}`;
}

/** For --config.check: how often poll.schedule really runs, and the deadline of each tick's work. */
export function describeSchedule(config: Config): string {
  const { shortest, longest } = tickGapsOf(config.poll.schedule);
  const period = shortest === longest ? `every ${formatDuration(shortest)}` : `every ${formatDuration(shortest)} to ${formatDuration(longest)}`;
  return `poll.schedule "${config.poll.schedule}" runs ${period}, poll.deadline ${formatDuration(config.poll.deadline)}`;
}
