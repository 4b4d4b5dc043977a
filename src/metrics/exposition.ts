// The exposition formats, written by hand for the series that come from the polls: the sample
// lines of one instance, rendered once when its snapshot is published, are the same bytes in the
// text format 0.0.4 and in OpenMetrics 1.0 (counter samples end in `_total` in both); only the
// family headers differ, and those are rendered once per format.
import { BACKUP_STATUSES } from '../alicloud/normalize.js';
import { splitCompletionKey } from '../collector/job-tracker.js';
import type { InstanceSnapshot, RegionSnapshot } from '../collector/poller.js';
import { backupsOf } from '../collector/reads/backups.js';
import { BUILTIN_READS } from '../collector/reads/index.js';
import type { ReadPlugin, ViewFill } from '../collector/reads/read.js';
import { METRICS, tagLabelName, tagLabelValue, type MetricDef } from './definitions.js';
import { escapeLabelValue, extra, FamilyLines, flag, seconds } from './lines.js';

export type Format = 'text' | 'openmetrics';

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

export interface RenderOptions {
  /** `nonzero`: leave out alicloud_rds_backup_tasks of the statuses no task is in */
  taskStatuses: 'all' | 'nonzero';
  /** tags_as_labels: each key's tag_<key> label on instance_info, in this order */
  tagKeys: readonly string[];
}

/** Whether two render options render alike. */
export function sameRendering(a: RenderOptions, b: RenderOptions): boolean {
  return a.taskStatuses === b.taskStatuses && a.tagKeys.length === b.tagKeys.length && a.tagKeys.every((k, i) => k === b.tagKeys[i]);
}

export type InstanceFamily = readonly [MetricDef, (lines: FamilyLines, inst: InstanceSnapshot, opts: RenderOptions) => void];

/** The task listing's families: first, as they were before the reads were plug-ins. */
const TASK_FAMILIES: readonly InstanceFamily[] = [
  [
    METRICS.tasks,
    (l, inst, opts) => {
      if (!inst.tasks) return;
      const byStatus = new Map<string, number>(opts.taskStatuses === 'all' ? BACKUP_STATUSES.map((s) => [s, 0]) : []);
      for (const task of inst.tasks) byStatus.set(task.status, (byStatus.get(task.status) ?? 0) + 1);
      for (const [status, n] of byStatus) l.add(n, extra(['status', status]));
    },
  ],
  [
    METRICS.taskProgress,
    (l, inst) => {
      // One series per label set: a job listed twice shows its last value once.
      const series = new Map<string, number>();
      for (const task of inst.tasks ?? []) {
        if (task.progressRatio === undefined) continue;
        series.set(extra(['backup_job_id', task.jobId], ['job_mode', task.jobMode], ['task_action', task.taskAction]), task.progressRatio);
      }
      for (const [labels, v] of series) l.add(v, labels);
    },
  ],
  [
    METRICS.taskFailures,
    (l, inst) => {
      for (const [jobMode, n] of inst.counts.failures) l.add(n, extra(['job_mode', jobMode]));
    },
  ],
  [
    METRICS.taskCompletions,
    (l, inst) => {
      for (const [key, n] of inst.counts.completions) {
        const [jobMode, status] = splitCompletionKey(key);
        l.add(n, extra(['job_mode', jobMode], ['status', status]));
      }
    },
  ],
];

/** The instance's own families and its health: after the reads'. */
const INSTANCE_HEALTH_FAMILIES: readonly InstanceFamily[] = [
  [
    METRICS.lastFailureTimestamp,
    (l, inst) => {
      const newest = Math.max(backupsOf(inst)?.summary.newestFailedEndMs ?? -Infinity, inst.counts.lastFailureMs ?? -Infinity);
      if (newest > -Infinity) l.add(newest / 1000);
    },
  ],
  [
    METRICS.instanceInfo,
    (l, inst, opts) => {
      const info = inst.info;
      if (info) {
        // Every instance has every tag label: "" when it lacks the tag or its tags are not known yet.
        const tags = opts.tagKeys.map((key): [string, string] => [
          tagLabelName(key),
          info.tags && Object.hasOwn(info.tags, key) ? tagLabelValue(info.tags[key]!) : '',
        ]);
        l.add(
          1,
          extra(
            ['engine', info.engine],
            ['engine_version', info.engineVersion],
            ['description', info.description],
            ['instance_type', info.instanceType],
            ['category', info.category],
            ['status', info.status],
            ['lock_mode', info.lockMode],
            ...tags,
          ),
        );
      }
    },
  ],
  [METRICS.instanceCreated, (l, inst) => l.maybe(seconds(inst.info?.createdMs))],
  [
    METRICS.readSuccess,
    (l, inst) => {
      for (const [read, health] of inst.reads) l.add(health.success ? 1 : 0, extra(['read', read]));
    },
  ],
  [
    METRICS.readLastSuccess,
    (l, inst) => {
      for (const [read, health] of inst.reads) if (health.lastSuccessMs !== undefined) l.add(health.lastSuccessMs / 1000, extra(['read', read]));
    },
  ],
  [
    METRICS.readError,
    (l, inst) => {
      for (const [read, { failure }] of inst.reads) {
        if (failure) l.add(1, extra(['read', read], ['action', failure.action], ['kind', failure.kind], ['code', failure.code]));
      }
    },
  ],
  [METRICS.pollSuccess, (l, inst) => l.add(inst.success ? 1 : 0)],
  [METRICS.lastPollTimestamp, (l, inst) => l.maybe(inst.lastSuccessSeconds)],
  [METRICS.pollDuration, (l, inst) => l.add(inst.durationSeconds)],
  [METRICS.pollsSkipped, (l, inst) => l.add(inst.skippedPolls)],
  [METRICS.pendingLookups, (l, inst) => l.add(inst.pendingLookups)],
];

/** A read's family, filled from its view when the instance has one. */
function readFamily<V>(plugin: ReadPlugin<V>, [def, fill]: readonly [MetricDef, ViewFill<V>]): InstanceFamily {
  return [
    def,
    (l, inst) => {
      const view = inst.views.get(plugin.name) as V | undefined;
      if (view !== undefined) fill(l, view);
    },
  ];
}

/** The families served per instance, in the order served: the task listing's, each read's, the instance's. */
export function instanceFamilies(plugins: ReadonlyArray<ReadPlugin<unknown>> = BUILTIN_READS): readonly InstanceFamily[] {
  return [...TASK_FAMILIES, ...plugins.flatMap((p) => p.families.map((f) => readFamily(p, f))), ...INSTANCE_HEALTH_FAMILIES];
}

/** Every metric served, the reads' included: what docs/metrics.md documents. */
export function allMetricDefs(plugins: ReadonlyArray<ReadPlugin<unknown>> = BUILTIN_READS): MetricDef[] {
  const perInstance = instanceFamilies(plugins).map(([def]) => def);
  return [...perInstance, ...Object.values(METRICS).filter((def) => !perInstance.includes(def))];
}

/** The sample lines of every instance family for one instance ('' where it has none). */
export function renderInstance(inst: InstanceSnapshot, families: readonly InstanceFamily[], opts: RenderOptions): string[] {
  const labels = `account="${escapeLabelValue(inst.account)}",region="${escapeLabelValue(inst.region)}",instance_id="${escapeLabelValue(inst.instanceId)}"`;
  return families.map(([def, fill]) => {
    const lines = new FamilyLines(def.name, labels);
    fill(lines, inst, opts);
    return lines.text;
  });
}

type RegionFamily = readonly [MetricDef, (lines: FamilyLines, region: RegionSnapshot) => void];

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
      const lines = new FamilyLines(def.name, `account="${escapeLabelValue(r.account)}",region="${escapeLabelValue(r.region)}"`);
      fill(lines, r);
      out += lines.text;
    }
  }
  return out;
}
