// DescribeBackups, at poll.backups_interval and right after a tracked job ends: the backup sets
// finished since the last look (which windows to ask for, and what the sets mean, is
// backup-history.ts). A window counts only once every page of it has answered, and nothing is
// shown before the first look has covered the whole look-back: a restart never publishes an older
// backup than the one it published before.
import { PREFIX } from '../../metrics/definitions.js';
import { extra } from '../../metrics/lines.js';
import { BackupHistory, type BackupSummary } from '../backup-history.js';
import { defineRead, hasOwnBackups, viewOf, type ReadContext, type ReadSettings, type ReadState, type ViewContext } from './read.js';

const DAY_MS = 86400_000;

export interface BackupsView {
  summary: BackupSummary;
  /** usable sets (IsAvail) ending within the retention period (at most the look-back) */
  usableSets: number;
}

export class BackupsState implements ReadState<BackupsView> {
  readonly history: BackupHistory;
  private lookbackMs: number;

  constructor(settings: ReadSettings) {
    this.lookbackMs = settings.backupsLookbackMs;
    this.history = new BackupHistory({ lookbackMs: this.lookbackMs });
  }

  reconfigure(settings: ReadSettings): void {
    this.lookbackMs = settings.backupsLookbackMs;
    this.history.setLookback(this.lookbackMs);
  }

  /**
   * Asks window after window, oldest first, and takes each as soon as all its pages have answered:
   * a first look of many windows that a poll's deadline cuts goes on from there at the next poll.
   */
  async run(ctx: ReadContext): Promise<void> {
    const firstLook = !this.history.initialLookDone;
    const windows = this.history.windows(ctx.now(), ctx.runningSinceMs);
    for (const [i, [start, end]] of windows.entries()) {
      const sets = await ctx.api.describeBackups(ctx.instanceId, start, end, ctx.call);
      for (const set of this.history.ingest(sets, end, i === windows.length - 1)) {
        // The first look reads a week of history: old failures are not news.
        if (set.status === 'Failed' && !firstLook) ctx.log.warn({ backup_id: set.backupId, backup_type: set.type, scope: set.scope }, 'backup set failed');
      }
    }
  }

  view({ nowMs, policy }: ViewContext): BackupsView | undefined {
    if (!this.history.initialLookDone) return undefined;
    const summary = this.history.summary();
    const retentionMs = Math.min(this.lookbackMs, policy?.retentionDays !== undefined ? policy.retentionDays * DAY_MS : Infinity);
    return { summary, usableSets: summary.usableEndMs.filter((end) => end >= nowMs - retentionMs).length };
  }
}

export const backupsRead = defineRead<BackupsView>({
  name: 'backups',
  actions: ['DescribeBackups'],
  essential: true,
  appliesTo: hasOwnBackups,
  intervalKey: 'backups_interval',
  defaultIntervalSeconds: 1200,
  help: 'finished backup sets: the last success, failures, sizes (DescribeBackups)',
  create: (settings) => new BackupsState(settings),
  families: [
    [
      {
        name: `${PREFIX}_last_success_timestamp_seconds`,
        type: 'gauge',
        labels: ['backup_type'],
        perInstance: true,
        help: 'BackupEndTime of the newest successful instance-wide backup set of each type (DescribeBackups; a backup of some databases only is not counted here). Value from the last completed poll of the instance, not from the scrape.',
      },
      (l, { summary }) => {
        for (const [type, set] of summary.newestSuccess) l.add(set.endMs / 1000, extra(['backup_type', type]));
      },
    ],
    [
      {
        name: `${PREFIX}_last_size_bytes`,
        type: 'gauge',
        labels: ['backup_type'],
        perInstance: true,
        help: 'BackupSize of the newest successful instance-wide backup set of each type. Value from the last completed poll of the instance, not from the scrape.',
      },
      (l, { summary }) => {
        for (const [type, set] of summary.newestSuccess) if (set.sizeBytes !== undefined) l.add(set.sizeBytes, extra(['backup_type', type]));
      },
    ],
    [
      {
        name: `${PREFIX}_last_duration_seconds`,
        type: 'gauge',
        labels: ['backup_type'],
        perInstance: true,
        help: 'BackupEndTime minus BackupStartTime of the newest successful instance-wide backup set of each type. Value from the last completed poll of the instance, not from the scrape.',
      },
      (l, { summary }) => {
        for (const [type, set] of summary.newestSuccess) l.add((set.endMs - set.startMs) / 1000, extra(['backup_type', type]));
      },
    ],
    [
      {
        name: `${PREFIX}_last_backup_succeeded`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: '1 if the newest finished instance-wide backup set (any type, by end time) succeeded, 0 if it failed. Value from the last completed poll of the instance, not from the scrape.',
      },
      (l, { summary }) => {
        if (summary.newestFinished) l.add(summary.newestFinished.status === 'Success' ? 1 : 0);
      },
    ],
    [
      {
        name: `${PREFIX}_sets_total`,
        type: 'counter',
        labels: ['backup_type', 'status'],
        perInstance: true,
        help: 'Backup sets seen in DescribeBackups, counted once per BackupId; a backup of some databases only counts under backup_type="DatabaseBackup". Value from the last completed poll of the instance, not from the scrape.',
      },
      (l, { summary }) => {
        // Full backups of both outcomes from the start at 0, so increase() sees the first one.
        const seen = new Map<string, number>([['FullBackup|Success', 0], ['FullBackup|Failed', 0], ...summary.seen]);
        for (const [key, n] of seen) {
          const at = key.lastIndexOf('|');
          l.add(n, extra(['backup_type', key.slice(0, at)], ['status', key.slice(at + 1)]));
        }
      },
    ],
    [
      {
        name: `${PREFIX}_usable_sets`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'Successful instance-wide backup sets the API calls usable (IsAvail) that ended within the retention period (at most poll.backups_lookback). Value from the last completed poll of the instance, not from the scrape.',
      },
      (l, v) => l.add(v.usableSets),
    ],
  ],
});

export const backupsOf = viewOf(backupsRead);
