// The log backup files, at poll.log_backups_interval, asked only since the last look (log-chain.ts
// keeps them): DescribeBinlogFiles for the engines that keep binlogs or WAL (MySQL, MariaDB,
// PostgreSQL), DescribeLogBackupFiles for SQL Server. It applies only once DescribeDBInstances
// has told the instance's engine, and only to those engines.
import type { DBInstance, LogFile } from '../../alicloud/rds-api.js';
import { PREFIX } from '../../metrics/definitions.js';
import { extra, seconds } from '../../metrics/lines.js';
import { LogChain, type LogChainSummary } from '../log-chain.js';
import { defineRead, hasOwnBackups, viewOf, type ReadContext, type ReadSettings, type ReadState, type ViewContext } from './read.js';

const DAY_MS = 86400_000;
const BINLOG_ENGINES: ReadonlySet<string> = new Set(['mysql', 'mariadb', 'postgresql']);

/** How the engine's log files are listed: the action, and the precision of its times. */
interface LogSource {
  action: string;
  toleranceMs: number;
  list(ctx: ReadContext, startMs: number, endMs: number): Promise<LogFile[]>;
}

/** DescribeBinlogFiles: second-precision times, a host per file, RemoteStatus. */
const BINLOGS: LogSource = {
  action: 'DescribeBinlogFiles',
  toleranceMs: 1000,
  list: (ctx, start, end) => ctx.api.describeBinlogFiles(ctx.instanceId, start, end, ctx.call),
};

/** DescribeLogBackupFiles: minute-precision times, no host, no upload status. */
const LOG_BACKUPS: LogSource = {
  action: 'DescribeLogBackupFiles',
  toleranceMs: 60_000,
  list: (ctx, start, end) => ctx.api.describeLogBackupFiles(ctx.instanceId, start, end, ctx.call),
};

/** The source of the instance's engine; undefined for an engine without one (or unknown). */
export function logSourceOf(info: DBInstance | undefined): LogSource | undefined {
  const engine = info?.engine.toLowerCase();
  if (engine === undefined) return undefined;
  if (BINLOG_ENGINES.has(engine)) return BINLOGS;
  return engine === 'sqlserver' ? LOG_BACKUPS : undefined;
}

class LogFilesState implements ReadState<LogChainSummary> {
  private chain: LogChain | undefined;
  private source: LogSource | undefined;

  constructor(private lookbackMs: number) {}

  reconfigure(settings: ReadSettings): void {
    this.lookbackMs = settings.logBackupsLookbackMs;
    this.chain?.setLookback(this.lookbackMs);
  }

  async run(ctx: ReadContext): Promise<void> {
    const source = logSourceOf(ctx.info);
    if (!source) return;
    if (source !== this.source) {
      this.source = source;
      this.chain = new LogChain({ lookbackMs: this.lookbackMs, toleranceMs: source.toleranceMs });
    }
    const chain = this.chain!;
    const [start, end] = chain.window(ctx.now());
    chain.ingest(await source.list(ctx, start, end), end);
  }

  view({ nowMs, policy }: ViewContext): LogChainSummary | undefined {
    if (!this.chain?.known) return undefined;
    const retentionMs = Math.min(this.lookbackMs, policy?.logRetentionDays !== undefined ? policy.logRetentionDays * DAY_MS : Infinity);
    return this.chain.summary(nowMs, retentionMs);
  }
}

export const logFilesRead = defineRead<LogChainSummary>({
  name: 'log_files',
  actions: ['DescribeBinlogFiles', 'DescribeLogBackupFiles'],
  essential: false,
  intervalKey: 'log_backups_interval',
  defaultIntervalSeconds: 3600,
  help: 'the log backup files and the gaps in their chain (DescribeBinlogFiles; DescribeLogBackupFiles for SQL Server)',
  needsEngine: true,
  appliesTo: (info) => hasOwnBackups(info) && logSourceOf(info) !== undefined,
  create: (settings) => new LogFilesState(settings.logBackupsLookbackMs),
  families: [
    [
      {
        name: `${PREFIX}_log_last_end_timestamp_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'LogEndTime of the newest uploaded log backup file (DescribeBinlogFiles, or DescribeLogBackupFiles for SQL Server), as a Unix time.',
      },
      (l, c) => l.maybe(seconds(c.newestUploadedEndMs)),
    ],
    [
      {
        name: `${PREFIX}_log_files_not_uploaded`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'Log backup files listed with RemoteStatus other than Completed (binlog engines only; SQL Server does not tell).',
      },
      (l, c) => l.maybe(c.notUploaded),
    ],
    [
      {
        name: `${PREFIX}_log_chain_gaps`,
        type: 'gauge',
        labels: ['host_instance_id'],
        perInstance: true,
        help: 'Gaps in the log chain of each host inside the log retention period: files starting later than the previous file ended. Point-in-time restore cannot cross a gap. host_instance_id is empty for SQL Server.',
      },
      (l, c) => {
        for (const [host, n] of c.gapsByHost) l.add(n, extra(['host_instance_id', host]));
      },
    ],
    [
      {
        name: `${PREFIX}_log_files_size_bytes`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'FileSize of every log backup file known within poll.log_backups_lookback.',
      },
      (l, c) => l.maybe(c.sizeBytes),
    ],
  ],
});

export const logChainOf = viewOf(logFilesRead);
