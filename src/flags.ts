// Command-line flags, named like every Prometheus exporter's.
import { parseArgs } from 'node:util';
import type { ListenAddress } from './http/server.js';
import { describeReads } from './collector/reads/index.js';
import type { LogFormat, LogLevel } from './log.js';

export interface Flags {
  configFile: string;
  /** every --web.listen-address, in order: the exporter listens on each */
  listen: ListenAddress[];
  listenText: string[];
  telemetryPath: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  configCheck: boolean;
  enableLifecycle: boolean;
  /** --web.disable-exporter-metrics: no process_*, nodejs_* or promhttp_* metrics */
  disableExporterMetrics: boolean;
  /** --web.config.file, when given */
  webConfigFile?: string;
  /** --collector.<read> (true) and --no-collector.<read> (false), when given (they override the configuration's `collectors`) */
  collectors: Record<string, boolean>;
  /** --shard.count and --shard.index, when given (they override the configuration's `shard`) */
  shard?: { count: number; index: number };
  help: boolean;
  version: boolean;
}

export class FlagError extends Error {
  override name = 'FlagError';
}

const READ_NAMES = describeReads().map((r) => r.name);

export const USAGE = `Usage: alicloud-rds-backup-exporter [flags]

  --config.file=PATH            configuration file (default config/exporter.yml)
  --config.check                validate the configuration file, print the result, exit 0 or 2
  --web.listen-address=ADDR     HOST:PORT to serve on; ":PORT" for every interface (default :9877);
                                repeat it to serve on several addresses
  --web.telemetry-path=PATH     path of the metrics endpoint (default /metrics)
  --web.enable-lifecycle        serve POST /-/reload to reload the configuration (SIGHUP always does)
  --web.config.file=PATH        TLS, basic auth and headers, in the Prometheus exporter-toolkit format
  --web.disable-exporter-metrics
                                leave out the process_*, nodejs_* and promhttp_* metrics
  --[no-]collector.READ         turn a read on or off: ${READ_NAMES.join(', ')}
                                (default: on, or the config's collectors.READ)
  --shard.count=N               replicas that share the instances (default 1, or the config's shard)
  --shard.index=I               this replica's shard, 0 to N-1 (default 0)
  --log.level=LEVEL             debug, info, warn or error (default info)
  --log.format=FORMAT           json, logfmt or pretty (default json)
  --version                     print the version and exit
  --help                        print this help and exit
`;

/** ":9877", "127.0.0.1:9877", "[::1]:9877", "localhost:9877". */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new FlagError(`--web.listen-address: expected HOST:PORT or :PORT, got "${text}"`);
  const host = match[1] ?? match[2];
  return host ? { host, port } : { port };
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FORMATS: readonly LogFormat[] = ['json', 'logfmt', 'pretty'];

/** --shard.count and --shard.index: both or neither; 0 <= index < count. */
function parseShard(count: string | undefined, index: string | undefined): { count: number; index: number } | undefined {
  if (count === undefined && index === undefined) return undefined;
  if (count === undefined) throw new FlagError('--shard.index needs --shard.count');
  const n = /^\d{1,4}$/.test(count) ? Number(count) : NaN;
  if (!(n >= 1 && n <= 1000)) throw new FlagError(`--shard.count: expected a whole number from 1 to 1000, got "${count}"`);
  const i = index === undefined ? 0 : /^\d{1,4}$/.test(index) ? Number(index) : NaN;
  if (!(i >= 0 && i < n)) throw new FlagError(`--shard.index: expected a whole number from 0 to ${n - 1}, got "${index}"`);
  return { count: n, index: i };
}

export function parseFlags(argv: readonly string[]): Flags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'config.file': { type: 'string', default: 'config/exporter.yml' },
        'config.check': { type: 'boolean', default: false },
        'web.listen-address': { type: 'string', multiple: true, default: [':9877'] },
        'web.telemetry-path': { type: 'string', default: '/metrics' },
        'web.enable-lifecycle': { type: 'boolean', default: false },
        'web.config.file': { type: 'string' },
        'web.disable-exporter-metrics': { type: 'boolean', default: false },
        'shard.count': { type: 'string' },
        'shard.index': { type: 'string' },
        'log.level': { type: 'string', default: 'info' },
        'log.format': { type: 'string', default: 'json' },
        ...Object.fromEntries(
          READ_NAMES.flatMap((name) => [
            [`collector.${name}`, { type: 'boolean' }],
            [`no-collector.${name}`, { type: 'boolean' }],
          ]),
        ),
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new FlagError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  const level = values['log.level'] as LogLevel;
  if (!LEVELS.includes(level)) throw new FlagError(`--log.level: expected one of ${LEVELS.join(', ')}, got "${level}"`);
  const format = values['log.format'] as LogFormat;
  if (!FORMATS.includes(format)) throw new FlagError(`--log.format: expected one of ${FORMATS.join(', ')}, got "${format}"`);
  const telemetryPath = values['web.telemetry-path'];
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(telemetryPath) || telemetryPath.startsWith('/-/') || telemetryPath === '/') {
    throw new FlagError(`--web.telemetry-path: expected a path such as /metrics, got "${telemetryPath}"`);
  }
  const shard = parseShard(values['shard.count'], values['shard.index']);
  const listenText = values['web.listen-address'];
  const twice = listenText.find((text, i) => listenText.indexOf(text) !== i);
  if (twice !== undefined) throw new FlagError(`--web.listen-address: "${twice}" is given twice`);
  const flagged = values as Record<string, unknown>;
  const collectors: Record<string, boolean> = {};
  for (const name of READ_NAMES) {
    const on = flagged[`collector.${name}`] === true;
    const off = flagged[`no-collector.${name}`] === true;
    if (on && off) throw new FlagError(`--collector.${name} and --no-collector.${name} both given`);
    if (on || off) collectors[name] = on;
  }
  return {
    collectors,
    ...(shard ? { shard } : {}),
    configFile: values['config.file'],
    listen: listenText.map(parseListenAddress),
    listenText,
    telemetryPath,
    logLevel: level,
    logFormat: format,
    configCheck: values['config.check'],
    enableLifecycle: values['web.enable-lifecycle'],
    disableExporterMetrics: values['web.disable-exporter-metrics'],
    ...(values['web.config.file'] !== undefined ? { webConfigFile: values['web.config.file'] } : {}),
    help: values.help,
    version: values.version,
  };
}
