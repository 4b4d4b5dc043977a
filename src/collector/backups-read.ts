// DescribeBackups, at poll.backups_interval and right after a tracked job ends: the backup sets
// finished since the last look (which windows to ask for, and what the sets mean, is
// backup-history.ts). A window counts only once every page of it has answered.
import { BackupHistory, type HistoryState } from './backup-history.js';
import { IntervalRead, type ReadContext } from './interval-read.js';

export class BackupsRead extends IntervalRead<void> {
  readonly action = 'DescribeBackups';
  readonly history: BackupHistory;
  /** when the oldest backup job still followed was first seen: its set will start before that */
  runningSinceMs: number | undefined;

  constructor(intervalMs: number, lookbackMs: number) {
    super(intervalMs);
    this.history = new BackupHistory({ lookbackMs });
  }

  /** Whether DescribeBackups has answered at least once (before that, no set series are served). */
  get known(): boolean {
    return this.history.initialLookDone;
  }

  restore(state: HistoryState): void {
    this.history.restore(state);
  }

  /**
   * Asks window after window, oldest first, and takes each as soon as all its pages have answered:
   * a first look of many windows that a poll's deadline cuts goes on from there at the next poll.
   */
  protected async fetch(ctx: ReadContext): Promise<void> {
    const firstLook = !this.known;
    const windows = this.history.windows(ctx.now(), this.runningSinceMs);
    for (const [i, [start, end]] of windows.entries()) {
      const sets = await ctx.api.describeBackups(ctx.instanceId, start, end, ctx.call);
      for (const set of this.history.ingest(sets, end, i === windows.length - 1)) {
        // The first look reads a week of history: old failures are not news.
        if (set.status === 'Failed' && !firstLook) ctx.log.warn({ backup_id: set.backupId, backup_type: set.type }, 'backup set failed');
      }
    }
  }

  /** Each window was taken as it answered. */
  protected take(): void {}
}
