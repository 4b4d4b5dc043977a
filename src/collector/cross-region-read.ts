// Cross-region backup, at poll.cross_region_interval: whether it is on and to which region
// (DescribeCrossRegionBackupDBInstance), then — only while it is on — the newest copy
// (DescribeCrossRegionBackups over the look-back). BackupSetStatus 0 is a success, 1 a failure.
import type { CrossRegionBackupSet, CrossRegionSettings } from '../alicloud/rds-api.js';
import { IntervalRead, type ReadContext } from './interval-read.js';

export class CrossRegionSettingsRead extends IntervalRead<CrossRegionSettings> {
  readonly action = 'DescribeCrossRegionBackupDBInstance';
  /** the last settings read; kept while later reads fail */
  settings: CrossRegionSettings | undefined;

  protected fetch(ctx: ReadContext): Promise<CrossRegionSettings> {
    return ctx.api.describeCrossRegionSettings(ctx.regionId, ctx.instanceId, ctx.call);
  }

  protected take(settings: CrossRegionSettings): void {
    this.settings = settings;
  }
}

export interface CrossRegionCopies {
  /** BackupEndTime of the newest successful copy ever seen (kept when it leaves the look-back) */
  newestSuccessEndMs?: number;
  /** whether the newest copy (by end time) succeeded */
  newestSucceeded?: boolean;
}

export class CrossRegionBackupsRead extends IntervalRead<CrossRegionBackupSet[]> {
  readonly action = 'DescribeCrossRegionBackups';
  copies: CrossRegionCopies | undefined;

  constructor(
    intervalMs: number,
    private lookbackMs: number,
    private readonly settings: CrossRegionSettingsRead,
  ) {
    super(intervalMs);
  }

  setLookback(ms: number): void {
    this.lookbackMs = ms;
  }

  /** Only while cross-region backup is on. */
  override appliesTo(): boolean {
    return this.settings.settings?.enabled === true;
  }

  override get after(): IntervalRead<unknown> {
    return this.settings;
  }

  protected fetch(ctx: ReadContext): Promise<CrossRegionBackupSet[]> {
    const now = ctx.now();
    return ctx.api.describeCrossRegionBackups(ctx.regionId, ctx.instanceId, now - this.lookbackMs, now, ctx.call);
  }

  protected take(sets: CrossRegionBackupSet[]): void {
    const copies: CrossRegionCopies = { ...this.copies };
    let newest: CrossRegionBackupSet | undefined;
    for (const set of sets) {
      if (set.status === 'Success' && (copies.newestSuccessEndMs === undefined || set.endMs > copies.newestSuccessEndMs)) copies.newestSuccessEndMs = set.endMs;
      if (!newest || set.endMs > newest.endMs) newest = set;
    }
    if (newest) copies.newestSucceeded = newest.status === 'Success';
    this.copies = copies;
  }
}
