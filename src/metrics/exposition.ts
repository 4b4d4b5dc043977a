// The exposition formats, written by hand for the series that come from the polls: the sample
// lines of one instance, rendered once when its snapshot is published, are the same bytes in the
// text format 0.0.4 and in OpenMetrics 1.0 (counter samples end in `_total` in both); only the
// family headers differ, and those are rendered once per format.
import { BACKUP_STATUSES } from '../alicloud/normalize.js';
import { splitCompletionKey } from '../collector/job-tracker.js';
import type { InstanceSnapshot, RegionSnapshot } from '../collector/poller.js';
import { METRICS, type MetricDef } from './definitions.js';

export type Format = 'text' | 'openmetrics';

function escapeLabelValue(value: string): string {
  return /[\\\n"]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeHelp(help: string, format: Format): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}

/**
 * `# HELP` and `# TYPE` of a family. OpenMetrics names a counter family without `_total`; the
 * text format separates families with an empty line (as prom-client does), OpenMetrics does not.
 */
export function familyHeader(def: MetricDef, format: Format, first: boolean): string {
  const name = format === 'openmetrics' && def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name;
  const gap = format === 'text' && !first ? '\n' : '';
  return `${gap}# HELP ${name} ${escapeHelp(def.help, format)}\n# TYPE ${name} ${def.type}\n`;
}

/** Writes the samples of one family: `name{labels,extra} value` lines. */
class Lines {
  private out = '';
  constructor(
    private readonly name: string,
    /** `account="…",region="…",instance_id="…"` (or the region's two) */
    private readonly labels: string,
  ) {}

  add(value: number, extra = ''): void {
    this.out += `${this.name}{${this.labels}${extra}} ${formatValue(value)}\n`;
  }

  /** adds `value` when it is defined */
  maybe(value: number | undefined): void {
    if (value !== undefined) this.add(value);
  }

  get text(): string {
    return this.out;
  }
}

/** `,name="value"` for each pair: the labels beyond account, region and instance_id. */
function extra(...pairs: Array<[string, string]>): string {
  let out = '';
  for (const [name, value] of pairs) out += `,${name}="${escapeLabelValue(value)}"`;
  return out;
}

export interface RenderOptions {
  /** `nonzero`: leave out alicloud_rds_backup_tasks of the statuses no task is in */
  taskStatuses: 'all' | 'nonzero';
}

type InstanceFamily = readonly [MetricDef, (lines: Lines, inst: InstanceSnapshot, opts: RenderOptions) => void];

const flag = (b: boolean | undefined) => (b === undefined ? undefined : b ? 1 : 0);
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const days = (d: number | undefined) => (d === undefined ? undefined : d * 86400);
const STORAGE_KINDS = [['data', 'dataBytes'], ['log', 'logBytes'], ['archive', 'archiveBytes'], ['cold', 'coldBytes']] as const;

/** The families served per instance, in the order served, each with how one instance fills it. */
export const INSTANCE_FAMILIES: readonly InstanceFamily[] = [
  [METRICS.tasks, (l, inst, opts) => {
    if (!inst.tasks) return;
    const byStatus = new Map<string, number>(opts.taskStatuses === 'all' ? BACKUP_STATUSES.map((s) => [s, 0]) : []);
    for (const task of inst.tasks) byStatus.set(task.status, (byStatus.get(task.status) ?? 0) + 1);
    for (const [status, n] of byStatus) l.add(n, extra(['status', status]));
  }],
  [METRICS.taskProgress, (l, inst) => {
    // One series per label set: a job listed twice shows its last value once.
    const series = new Map<string, number>();
    for (const task of inst.tasks ?? []) {
      if (task.progressRatio === undefined) continue;
      series.set(extra(['backup_job_id', task.jobId], ['job_mode', task.jobMode], ['task_action', task.taskAction]), task.progressRatio);
    }
    for (const [labels, v] of series) l.add(v, labels);
  }],
  [METRICS.taskFailures, (l, inst) => {
    for (const [jobMode, n] of inst.counts.failures) l.add(n, extra(['job_mode', jobMode]));
  }],
  [METRICS.taskCompletions, (l, inst) => {
    for (const [key, n] of inst.counts.completions) {
      const [jobMode, status] = splitCompletionKey(key);
      l.add(n, extra(['job_mode', jobMode], ['status', status]));
    }
  }],
  [METRICS.lastSuccessTimestamp, (l, inst) => {
    for (const [type, set] of inst.backups.newestSuccess) l.add(set.endMs / 1000, extra(['backup_type', type]));
  }],
  [METRICS.lastSize, (l, inst) => {
    for (const [type, set] of inst.backups.newestSuccess) if (set.sizeBytes !== undefined) l.add(set.sizeBytes, extra(['backup_type', type]));
  }],
  [METRICS.lastDuration, (l, inst) => {
    for (const [type, set] of inst.backups.newestSuccess) l.add((set.endMs - set.startMs) / 1000, extra(['backup_type', type]));
  }],
  [METRICS.lastBackupSucceeded, (l, inst) => {
    const newest = inst.backups.newestFinished;
    if (newest) l.add(newest.status === 'Success' ? 1 : 0);
  }],
  [METRICS.lastFailureTimestamp, (l, inst) => {
    const newest = Math.max(inst.backups.newestFailedEndMs ?? -Infinity, inst.counts.lastFailureMs ?? -Infinity);
    if (newest > -Infinity) l.add(newest / 1000);
  }],
  [METRICS.setsSeen, (l, inst) => {
    if (!inst.backupsKnown) return;
    // Full backups of both outcomes from the start at 0, so increase() sees the first one.
    const seen = new Map<string, number>([['FullBackup|Success', 0], ['FullBackup|Failed', 0], ...inst.backups.seen]);
    for (const [key, n] of seen) {
      const at = key.lastIndexOf('|');
      l.add(n, extra(['backup_type', key.slice(0, at)], ['status', key.slice(at + 1)]));
    }
  }],
  [METRICS.policyRetention, (l, inst) => l.maybe(days(inst.policy?.retentionDays))],
  [METRICS.policyExpectedInterval, (l, inst) => l.maybe(inst.policy?.expectedIntervalSeconds)],
  [METRICS.policyNextBackup, (l, inst) => l.maybe(seconds(inst.policy?.nextBackupMs))],
  [METRICS.policyLogBackupEnabled, (l, inst) => l.maybe(flag(inst.policy?.logBackupEnabled))],
  [METRICS.policyLogRetention, (l, inst) => l.maybe(days(inst.policy?.logRetentionDays))],
  [METRICS.policyArchiveRetention, (l, inst) => l.maybe(days(inst.policy?.archiveRetentionDays))],
  [METRICS.policyInfo, (l, inst) => {
    const p = inst.policy;
    if (!p) return;
    const protection = p.highSpaceUsageProtection === undefined ? '' : p.highSpaceUsageProtection ? 'Enable' : 'Disable';
    l.add(1, extra(['released_keep_policy', p.releasedKeepPolicy ?? ''], ['high_space_usage_protection', protection], ['compress_type', p.compressType ?? '']));
  }],
  [METRICS.usableSets, (l, inst) => l.maybe(inst.usableSets)],
  [METRICS.restoreWindowStart, (l, inst) => l.maybe(seconds(inst.restoreWindow?.beginMs))],
  [METRICS.restoreWindowEnd, (l, inst) => l.maybe(seconds(inst.restoreWindow?.endMs))],
  [METRICS.logLastEnd, (l, inst) => l.maybe(seconds(inst.logChain?.newestUploadedEndMs))],
  [METRICS.logFilesNotUploaded, (l, inst) => l.maybe(inst.logChain?.notUploaded)],
  [METRICS.logChainGaps, (l, inst) => {
    for (const [host, n] of inst.logChain?.gapsByHost ?? []) l.add(n, extra(['host_instance_id', host]));
  }],
  [METRICS.logFilesSize, (l, inst) => l.maybe(inst.logChain?.sizeBytes)],
  [METRICS.crossRegionEnabled, (l, inst) => {
    const c = inst.crossRegion;
    if (c) l.add(c.enabled ? 1 : 0, extra(['target_region', c.targetRegion ?? '']));
  }],
  [METRICS.crossRegionLastSuccess, (l, inst) => l.maybe(seconds(inst.crossRegionCopies?.newestSuccessEndMs))],
  [METRICS.crossRegionLastSucceeded, (l, inst) => l.maybe(flag(inst.crossRegionCopies?.newestSucceeded))],
  [METRICS.storageBytes, (l, inst) => {
    for (const [kind, key] of STORAGE_KINDS) {
      const v = inst.storage?.[key];
      if (v !== undefined) l.add(v, extra(['kind', kind]));
    }
  }],
  [METRICS.storageOverFreeQuota, (l, inst) => l.maybe(inst.storage?.overFreeQuotaBytes)],
  [METRICS.instanceInfo, (l, inst) => {
    const info = inst.info;
    if (info) l.add(1, extra(['engine', info.engine], ['engine_version', info.engineVersion], ['description', info.description], ['instance_type', info.instanceType]));
  }],
  [METRICS.pollSuccess, (l, inst) => l.add(inst.success ? 1 : 0)],
  [METRICS.lastPollTimestamp, (l, inst) => l.maybe(inst.lastSuccessSeconds)],
  [METRICS.pollDuration, (l, inst) => l.add(inst.durationSeconds)],
  [METRICS.pollsSkipped, (l, inst) => l.add(inst.skippedPolls)],
  [METRICS.pendingLookups, (l, inst) => l.add(inst.pendingLookups)],
];

/** The sample lines of every instance family for one instance ('' where it has none). */
export function renderInstance(inst: InstanceSnapshot, opts: RenderOptions): string[] {
  const labels = `account="${escapeLabelValue(inst.account)}",region="${escapeLabelValue(inst.region)}",instance_id="${escapeLabelValue(inst.instanceId)}"`;
  return INSTANCE_FAMILIES.map(([def, fill]) => {
    const lines = new Lines(def.name, labels);
    fill(lines, inst, opts);
    return lines.text;
  });
}

type RegionFamily = readonly [MetricDef, (lines: Lines, region: RegionSnapshot) => void];

/** The families served per account and region, after the instance families. */
const REGION_FAMILIES: readonly RegionFamily[] = [
  [METRICS.discoverySuccess, (l, r) => l.maybe(flag(r.discoverySuccess))],
  [METRICS.discoveryLastSuccessTimestamp, (l, r) => l.maybe(r.discoveryLastSuccessSeconds)],
];

/** The region families, headers included, rendered whole (a few lines per region). */
export function renderRegions(regions: readonly RegionSnapshot[], format: Format): string {
  let out = '';
  for (const [def, fill] of REGION_FAMILIES) {
    out += familyHeader(def, format, false);
    for (const r of regions) {
      const lines = new Lines(def.name, `account="${escapeLabelValue(r.account)}",region="${escapeLabelValue(r.region)}"`);
      fill(lines, r);
      out += lines.text;
    }
  }
  return out;
}
