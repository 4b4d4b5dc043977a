// The log backup files, at poll.log_backups_interval, asked only since the last look (log-chain.ts
// keeps them): DescribeBinlogFiles for the engines that keep binlogs or WAL (MySQL, MariaDB,
// PostgreSQL), DescribeLogBackupFiles for SQL Server. Each applies only to its engines, and only
// once DescribeDBInstances has told the instance's engine: the other makes no call and no series.
import type { DBInstance, LogFile } from '../alicloud/rds-api.js';
import { IntervalRead, type ReadContext } from './interval-read.js';
import { LogChain } from './log-chain.js';

const BINLOG_ENGINES: ReadonlySet<string> = new Set(['mysql', 'mariadb', 'postgresql']);

function engineOf(info: DBInstance | undefined): string | undefined {
  return info?.engine.toLowerCase();
}

interface Answer {
  files: LogFile[];
  endMs: number;
}

abstract class LogFilesRead extends IntervalRead<Answer> {
  readonly chain: LogChain;

  /** Which of the two applies is told by the engine. */
  override get needsEngine(): boolean {
    return true;
  }

  constructor(intervalMs: number, lookbackMs: number, toleranceMs: number) {
    super(intervalMs);
    this.chain = new LogChain({ lookbackMs, toleranceMs });
  }

  protected abstract list(ctx: ReadContext, startMs: number, endMs: number): Promise<LogFile[]>;

  protected async fetch(ctx: ReadContext): Promise<Answer> {
    const [start, end] = this.chain.window(ctx.now());
    return { files: await this.list(ctx, start, end), endMs: end };
  }

  protected take({ files, endMs }: Answer): void {
    this.chain.ingest(files, endMs);
  }
}

/** DescribeBinlogFiles: second-precision times, a host per file, RemoteStatus. */
export class BinlogFilesRead extends LogFilesRead {
  readonly action = 'DescribeBinlogFiles';

  constructor(intervalMs: number, lookbackMs: number) {
    super(intervalMs, lookbackMs, 1000);
  }

  override appliesTo(info: DBInstance | undefined): boolean {
    const engine = engineOf(info);
    return engine !== undefined && BINLOG_ENGINES.has(engine);
  }

  protected list(ctx: ReadContext, startMs: number, endMs: number): Promise<LogFile[]> {
    return ctx.api.describeBinlogFiles(ctx.instanceId, startMs, endMs, ctx.call);
  }
}

/** DescribeLogBackupFiles: minute-precision times, no host, no upload status. */
export class LogBackupFilesRead extends LogFilesRead {
  readonly action = 'DescribeLogBackupFiles';

  constructor(intervalMs: number, lookbackMs: number) {
    super(intervalMs, lookbackMs, 60_000);
  }

  override appliesTo(info: DBInstance | undefined): boolean {
    return engineOf(info) === 'sqlserver';
  }

  protected list(ctx: ReadContext, startMs: number, endMs: number): Promise<LogFile[]> {
    return ctx.api.describeLogBackupFiles(ctx.instanceId, startMs, endMs, ctx.call);
  }
}
