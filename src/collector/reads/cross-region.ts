// Cross-region backup, at poll.cross_region_interval: whether it is on and to which region
// (DescribeCrossRegionBackupDBInstance), then — only while it is on — the newest copies
// (DescribeCrossRegionBackups over the look-back). BackupSetStatus 0 is a success, 1 a failure.
import type { CrossRegionBackupSet, CrossRegionSettings } from '../../alicloud/rds-api.js';
import { PREFIX } from '../../metrics/definitions.js';
import { extra, flag, seconds } from '../../metrics/lines.js';
import { defineRead, hasOwnBackups, viewOf, type ReadContext, type ReadSettings, type ReadState } from './read.js';

export interface CrossRegionCopies {
  /** BackupEndTime of the newest successful copy ever seen (kept when it leaves the look-back) */
  newestSuccessEndMs?: number;
  /** whether the newest copy (by end time) succeeded */
  newestSucceeded?: boolean;
}

export interface CrossRegionView {
  settings: CrossRegionSettings;
  /** what the copies say, while cross-region backup is on and they have been read */
  copies?: CrossRegionCopies;
}

/** The newest copies, folded into what was known. */
export function foldCopies(known: CrossRegionCopies | undefined, sets: readonly CrossRegionBackupSet[]): CrossRegionCopies {
  const copies: CrossRegionCopies = { ...known };
  let newest: CrossRegionBackupSet | undefined;
  for (const set of sets) {
    if (set.status === 'Success' && (copies.newestSuccessEndMs === undefined || set.endMs > copies.newestSuccessEndMs)) copies.newestSuccessEndMs = set.endMs;
    if (!newest || set.endMs > newest.endMs) newest = set;
  }
  if (newest) copies.newestSucceeded = newest.status === 'Success';
  return copies;
}

class CrossRegionState implements ReadState<CrossRegionView> {
  private settings: CrossRegionSettings | undefined;
  private copies: CrossRegionCopies | undefined;

  constructor(private lookbackMs: number) {}

  reconfigure(settings: ReadSettings): void {
    this.lookbackMs = settings.backupsLookbackMs;
  }

  async run(ctx: ReadContext): Promise<void> {
    this.settings = await ctx.api.describeCrossRegionSettings(ctx.regionId, ctx.instanceId, ctx.call);
    if (!this.settings.enabled) {
      this.copies = undefined;
      return;
    }
    const now = ctx.now();
    this.copies = foldCopies(this.copies, await ctx.api.describeCrossRegionBackups(ctx.regionId, ctx.instanceId, now - this.lookbackMs, now, ctx.call));
  }

  view(): CrossRegionView | undefined {
    if (!this.settings) return undefined;
    return this.copies && this.settings.enabled ? { settings: this.settings, copies: this.copies } : { settings: this.settings };
  }
}

export const crossRegionRead = defineRead<CrossRegionView>({
  name: 'cross_region',
  actions: ['DescribeCrossRegionBackupDBInstance', 'DescribeCrossRegionBackups'],
  essential: false,
  appliesTo: hasOwnBackups,
  intervalKey: 'cross_region_interval',
  defaultIntervalSeconds: 3 * 3600,
  help: 'cross-region backup settings and the newest copies (DescribeCrossRegionBackupDBInstance, DescribeCrossRegionBackups)',
  create: (settings) => new CrossRegionState(settings.backupsLookbackMs),
  families: [
    [
      {
        name: `${PREFIX}_cross_region_enabled`,
        type: 'gauge',
        labels: ['target_region'],
        perInstance: true,
        help: 'Whether cross-region backup is on (BackupEnabled, DescribeCrossRegionBackupDBInstance); target_region is CrossBackupRegion (empty when none).',
      },
      (l, { settings }) => l.add(settings.enabled ? 1 : 0, extra(['target_region', settings.targetRegion ?? ''])),
    ],
    [
      {
        name: `${PREFIX}_cross_region_last_success_timestamp_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'BackupEndTime of the newest successful cross-region backup set (BackupSetStatus 0; DescribeCrossRegionBackups), as a Unix time; only while cross-region backup is on.',
      },
      (l, { copies }) => l.maybe(seconds(copies?.newestSuccessEndMs)),
    ],
    [
      {
        name: `${PREFIX}_cross_region_last_backup_succeeded`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: '1 if the newest cross-region backup set within poll.backups_lookback succeeded (BackupSetStatus 0), 0 if it failed (1).',
      },
      (l, { copies }) => l.maybe(flag(copies?.newestSucceeded)),
    ],
  ],
});

export const crossRegionOf = viewOf(crossRegionRead);
