// pino, configured so that no secret can reach a log line: known secret fields are redacted by
// path, and every secret value the process holds (configured key secrets, STS tokens fetched at
// run time) is registered here and replaced in the final text of every line as a last guard.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'logfmt' | 'pretty';

const secrets = new Set<string>();
/** Bound the registry: STS tokens rotate every hour or so; keep the recent ones. */
const MAX_SECRETS = 256;

/** Registers a secret value so that it is replaced by "[REDACTED]" wherever it would be written. */
export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; real keys and tokens are long.
  if (!value || value.length < 8 || secrets.has(value)) return;
  if (secrets.size >= MAX_SECRETS) secrets.delete(secrets.values().next().value as string);
  secrets.add(value);
}

/** Replaces every registered secret in `text`, raw or URL-encoded. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join('[REDACTED]');
  }
  return out;
}

export const REDACT_PATHS = [
  'access_key_secret',
  '*.access_key_secret',
  'accessKeySecret',
  '*.accessKeySecret',
  'access_key_id',
  '*.access_key_id',
  'accessKeyId',
  '*.accessKeyId',
  'securityToken',
  '*.securityToken',
  'SecurityToken',
  '*.SecurityToken',
  'Signature',
  '*.Signature',
  'err.data',
  'err.entry',
  'err.url',
  'err.config',
  'headers.authorization',
];

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; defaults to stdout. Tests pass a stream to read every line back. */
  destination?: NodeJS.WritableStream;
}

/** One logfmt value: bare when it can be, else quoted with `"` and `\` escaped; objects as JSON. */
function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  return text !== '' && /^[^\s"=\\\x00-\x1f]+$/.test(text) ? text : JSON.stringify(text);
}

/** A pino JSON line as logfmt, in the order the Prometheus exporters use: ts, level, msg, then the rest. */
export function toLogfmt(line: string): string {
  const { time, level, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
  const pairs: Array<[string, unknown]> = [['ts', time], ['level', level], ['msg', msg], ...Object.entries(rest)];
  return pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${logfmtValue(v)}`)
    .join(' ');
}

/** Writes each pino line to `destination` as logfmt. */
function logfmtStream(destination: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) destination.write(`${toLogfmt(line)}\n`);
      done();
    },
  });
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? process.stdout;
  const stream =
    opts.format === 'pretty'
      ? pretty({ destination, colorize: destination === process.stdout && process.stdout.isTTY, sync: true, translateTime: 'SYS:standard' })
      : opts.format === 'logfmt'
        ? logfmtStream(destination)
        : destination;
  return pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrubSecrets },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream as pino.DestinationStream,
  );
}
