// Builds the prom-client registries served on /metrics. Per-instance and per-region metrics are
// filled at scrape time from one snapshot of what the polls published, pinned for the whole
// rendering; process metrics (API calls, reloads) are live, fed by the client and the exporter.
//
// The text and OpenMetrics registries hold separate metric objects: prom-client renames a counter
// in place (dropping `_total`) when an OpenMetrics registry renders it, which would corrupt the
// text format of a shared object after the first OpenMetrics scrape.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { BACKUP_STATUSES } from '../alicloud/normalize.js';
import { splitCompletionKey } from '../collector/job-tracker.js';
import { NO_SHARDING, type Shard } from '../collector/shard.js';
import type { InstanceSnapshot, Snapshot } from '../collector/poller.js';
import { API_DURATION_BUCKETS, INSTANCE_LABELS, METRICS, type MetricDef } from './definitions.js';

/** Default Node.js metrics that `promtool check metrics` rejects (gauges named `_total`). */
const REJECTED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface Exposition {
  contentType: string;
  body: string;
}

export interface ExporterMetrics {
  /** The whole exposition, in OpenMetrics 1.0 or else the text format 0.0.4. */
  render(openMetrics: boolean): Promise<Exposition>;
  observeApiCall(account: string, region: string, action: string, code: string, seconds: number): void;
  /** a configuration load or reload succeeded (with its time) or failed */
  configLoaded(ok: boolean, atMs: number): void;
  /** the exporter's own health, as counted here, for the status page */
  selfStatus(): SelfStatus;
}

export interface SelfStatus {
  reload: { successful: boolean; lastSuccessMs?: number };
}

/** The live metrics of one registry, fed as things happen. */
interface LiveMetrics {
  apiRequests: Counter;
  apiDuration: Histogram;
  reloadOk: Gauge;
  reloadAt: Gauge;
}

export interface MetricsOptions {
  snapshot: () => Snapshot;
  version: string;
  /** this replica's shard, which a reload may change (default: the only one) */
  shard?: () => Shard;
  /** `nonzero`: serve alicloud_rds_backup_tasks only for the statuses some task is in (metrics.task_statuses) */
  taskStatuses?: () => 'all' | 'nonzero';
  /** each account's adaptive rate limit now */
  rateLimits?: () => ReadonlyMap<string, { readonly current: number }>;
  /** include process_* and nodejs_* metrics (default true) */
  processMetrics?: boolean;
}

function labelsOf(inst: InstanceSnapshot): { account: string; region: string; instance_id: string } {
  return { account: inst.account, region: inst.region, instance_id: inst.instanceId };
}

function labelNames(def: MetricDef): string[] {
  return def.perInstance ? [...INSTANCE_LABELS, ...def.labels] : [...def.labels];
}

type SnapshotGauge = (def: MetricDef, fill: (g: Gauge) => void) => Gauge;

const STORAGE_KINDS = [['data', 'dataBytes'], ['log', 'logBytes'], ['archive', 'archiveBytes'], ['cold', 'coldBytes']] as const;

/** The recoverability metrics: policy extras, usable sets, restore window, log chain, cross-region, storage. */
function registerRecovery(snapshot: () => Snapshot, snapshotGauge: SnapshotGauge): void {
  const each = (def: MetricDef, value: (inst: InstanceSnapshot) => number | undefined) =>
    snapshotGauge(def, (g) => {
      for (const inst of snapshot().instances) {
        const v = value(inst);
        if (v !== undefined) g.set(labelsOf(inst), v);
      }
    });
  const flag = (b: boolean | undefined) => (b === undefined ? undefined : b ? 1 : 0);
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  const days = (d: number | undefined) => (d === undefined ? undefined : d * 86400);

  each(METRICS.policyLogBackupEnabled, (i) => flag(i.policy?.logBackupEnabled));
  each(METRICS.policyLogRetention, (i) => days(i.policy?.logRetentionDays));
  each(METRICS.policyArchiveRetention, (i) => days(i.policy?.archiveRetentionDays));
  snapshotGauge(METRICS.policyInfo, (g) => {
    for (const inst of snapshot().instances) {
      const p = inst.policy;
      if (!p) continue;
      const protection = p.highSpaceUsageProtection === undefined ? '' : p.highSpaceUsageProtection ? 'Enable' : 'Disable';
      g.set({ ...labelsOf(inst), released_keep_policy: p.releasedKeepPolicy ?? '', high_space_usage_protection: protection, compress_type: p.compressType ?? '' }, 1);
    }
  });
  each(METRICS.usableSets, (i) => i.usableSets);
  each(METRICS.restoreWindowStart, (i) => seconds(i.restoreWindow?.beginMs));
  each(METRICS.restoreWindowEnd, (i) => seconds(i.restoreWindow?.endMs));
  each(METRICS.logLastEnd, (i) => seconds(i.logChain?.newestUploadedEndMs));
  each(METRICS.logFilesNotUploaded, (i) => i.logChain?.notUploaded);
  snapshotGauge(METRICS.logChainGaps, (g) => {
    for (const inst of snapshot().instances) for (const [host, n] of inst.logChain?.gapsByHost ?? []) g.set({ ...labelsOf(inst), host_instance_id: host }, n);
  });
  each(METRICS.logFilesSize, (i) => i.logChain?.sizeBytes);
  snapshotGauge(METRICS.crossRegionEnabled, (g) => {
    for (const inst of snapshot().instances) {
      const c = inst.crossRegion;
      if (c) g.set({ ...labelsOf(inst), target_region: c.targetRegion ?? '' }, c.enabled ? 1 : 0);
    }
  });
  each(METRICS.crossRegionLastSuccess, (i) => seconds(i.crossRegionCopies?.newestSuccessEndMs));
  each(METRICS.crossRegionLastSucceeded, (i) => flag(i.crossRegionCopies?.newestSucceeded));
  snapshotGauge(METRICS.storageBytes, (g) => {
    for (const inst of snapshot().instances) {
      for (const [kind, key] of STORAGE_KINDS) {
        const v = inst.storage?.[key];
        if (v !== undefined) g.set({ ...labelsOf(inst), kind }, v);
      }
    }
  });
  each(METRICS.storageOverFreeQuota, (i) => i.storage?.overFreeQuotaBytes);
}

export function createMetrics(opts: MetricsOptions): ExporterMetrics {
  const prometheus = new Registry();
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  // One snapshot for a whole rendering (and for renderings that overlap it).
  let pinned: Snapshot | undefined;
  let rendering = 0;
  const snapshot = () => pinned ?? opts.snapshot();
  const live = [registerAll(prometheus, snapshot, opts), registerAll(openMetrics as unknown as Registry, snapshot, opts)];
  const self: SelfStatus = { reload: { successful: true } };

  return {
    async render(asOpenMetrics) {
      const registry = asOpenMetrics ? openMetrics : prometheus;
      if (rendering++ === 0) pinned = opts.snapshot();
      try {
        return { contentType: registry.contentType, body: await registry.metrics() };
      } finally {
        if (--rendering === 0) pinned = undefined;
      }
    },
    observeApiCall(account, region, action, code, seconds) {
      for (const m of live) {
        m.apiRequests.inc({ account, region, action, code });
        m.apiDuration.observe({ account, region, action }, seconds);
      }
    },
    configLoaded(ok, atMs) {
      for (const m of live) {
        m.reloadOk.set(ok ? 1 : 0);
        if (ok) m.reloadAt.set(atMs / 1000);
      }
      self.reload = ok ? { successful: true, lastSuccessMs: atMs } : { ...self.reload, successful: false };
    },
    selfStatus: () => ({ reload: { ...self.reload } }),
  };
}

/** Declares every metric in `registry`, filled from `snapshot()`. */
function registerAll(registry: Registry, snapshot: () => Snapshot, opts: MetricsOptions): LiveMetrics {
  const registers = [registry];

  // Gauges and counters refilled from the snapshot at each scrape (per instance, or per region).
  const snapshotGauge = (def: MetricDef, fill: (g: Gauge) => void) =>
    new Gauge({
      name: def.name, help: def.help, labelNames: labelNames(def), registers,
      collect() {
        this.reset();
        fill(this);
      },
    });
  const snapshotCounter = (def: MetricDef, fill: (c: Counter) => void) =>
    new Counter({
      name: def.name, help: def.help, labelNames: labelNames(def), registers,
      collect() {
        this.reset();
        fill(this);
      },
    });

  snapshotGauge(METRICS.tasks, (g) => {
    const zeros = (opts.taskStatuses?.() ?? 'all') === 'all';
    for (const inst of snapshot().instances) {
      if (!inst.tasks) continue;
      const byStatus = new Map<string, number>(zeros ? BACKUP_STATUSES.map((s) => [s, 0]) : []);
      for (const task of inst.tasks) byStatus.set(task.status, (byStatus.get(task.status) ?? 0) + 1);
      for (const [status, n] of byStatus) g.set({ ...labelsOf(inst), status }, n);
    }
  });

  snapshotGauge(METRICS.taskProgress, (g) => {
    for (const inst of snapshot().instances) {
      for (const task of inst.tasks ?? []) {
        if (task.progressRatio === undefined) continue;
        g.set({ ...labelsOf(inst), backup_job_id: task.jobId, job_mode: task.jobMode, task_action: task.taskAction }, task.progressRatio);
      }
    }
  });

  snapshotCounter(METRICS.taskFailures, (c) => {
    for (const inst of snapshot().instances) {
      for (const [jobMode, n] of inst.counts.failures) c.inc({ ...labelsOf(inst), job_mode: jobMode }, n);
    }
  });

  snapshotCounter(METRICS.taskCompletions, (c) => {
    for (const inst of snapshot().instances) {
      for (const [key, n] of inst.counts.completions) {
        const [jobMode, status] = splitCompletionKey(key);
        c.inc({ ...labelsOf(inst), job_mode: jobMode, status }, n);
      }
    }
  });

  const typed = (inst: InstanceSnapshot, backupType: string) => ({ ...labelsOf(inst), backup_type: backupType });
  snapshotGauge(METRICS.lastSuccessTimestamp, (g) => {
    for (const inst of snapshot().instances) for (const [type, set] of inst.backups.newestSuccess) g.set(typed(inst, type), set.endMs / 1000);
  });
  snapshotGauge(METRICS.lastSize, (g) => {
    for (const inst of snapshot().instances) {
      for (const [type, set] of inst.backups.newestSuccess) if (set.sizeBytes !== undefined) g.set(typed(inst, type), set.sizeBytes);
    }
  });
  snapshotGauge(METRICS.lastDuration, (g) => {
    for (const inst of snapshot().instances) for (const [type, set] of inst.backups.newestSuccess) g.set(typed(inst, type), (set.endMs - set.startMs) / 1000);
  });
  snapshotGauge(METRICS.lastBackupSucceeded, (g) => {
    for (const inst of snapshot().instances) {
      const newest = inst.backups.newestFinished;
      if (newest) g.set(labelsOf(inst), newest.status === 'Success' ? 1 : 0);
    }
  });
  snapshotGauge(METRICS.lastFailureTimestamp, (g) => {
    for (const inst of snapshot().instances) {
      const newest = Math.max(inst.backups.newestFailedEndMs ?? -Infinity, inst.counts.lastFailureMs ?? -Infinity);
      if (newest > -Infinity) g.set(labelsOf(inst), newest / 1000);
    }
  });
  snapshotCounter(METRICS.setsSeen, (c) => {
    for (const inst of snapshot().instances) {
      if (!inst.backupsKnown) continue;
      // Full backups of both outcomes from the start at 0, so increase() sees the first one.
      const seen = new Map<string, number>([['FullBackup|Success', 0], ['FullBackup|Failed', 0], ...inst.backups.seen]);
      for (const [key, n] of seen) {
        const at = key.lastIndexOf('|');
        c.inc({ ...labelsOf(inst), backup_type: key.slice(0, at), status: key.slice(at + 1) }, n);
      }
    }
  });
  snapshotGauge(METRICS.policyRetention, (g) => {
    for (const inst of snapshot().instances) if (inst.policy?.retentionDays !== undefined) g.set(labelsOf(inst), inst.policy.retentionDays * 86400);
  });
  snapshotGauge(METRICS.policyExpectedInterval, (g) => {
    for (const inst of snapshot().instances) if (inst.policy?.expectedIntervalSeconds !== undefined) g.set(labelsOf(inst), inst.policy.expectedIntervalSeconds);
  });
  snapshotGauge(METRICS.policyNextBackup, (g) => {
    for (const inst of snapshot().instances) if (inst.policy?.nextBackupMs !== undefined) g.set(labelsOf(inst), inst.policy.nextBackupMs / 1000);
  });
  registerRecovery(snapshot, snapshotGauge);

  snapshotGauge(METRICS.instanceInfo, (g) => {
    for (const inst of snapshot().instances) {
      const info = inst.info;
      if (info) g.set({ ...labelsOf(inst), engine: info.engine, engine_version: info.engineVersion, description: info.description, instance_type: info.instanceType }, 1);
    }
  });

  snapshotGauge(METRICS.pollSuccess, (g) => {
    for (const inst of snapshot().instances) g.set(labelsOf(inst), inst.success ? 1 : 0);
  });

  snapshotGauge(METRICS.lastPollTimestamp, (g) => {
    for (const inst of snapshot().instances) {
      if (inst.lastSuccessSeconds !== undefined) g.set(labelsOf(inst), inst.lastSuccessSeconds);
    }
  });

  snapshotGauge(METRICS.pollDuration, (g) => {
    for (const inst of snapshot().instances) g.set(labelsOf(inst), inst.durationSeconds);
  });

  snapshotCounter(METRICS.pollsSkipped, (c) => {
    for (const inst of snapshot().instances) c.inc(labelsOf(inst), inst.skippedPolls);
  });

  snapshotGauge(METRICS.pendingLookups, (g) => {
    for (const inst of snapshot().instances) g.set(labelsOf(inst), inst.pendingLookups);
  });

  snapshotGauge(METRICS.discoverySuccess, (g) => {
    for (const r of snapshot().regions) if (r.discoverySuccess !== undefined) g.set({ account: r.account, region: r.region }, r.discoverySuccess ? 1 : 0);
  });

  snapshotGauge(METRICS.discoveryLastSuccessTimestamp, (g) => {
    for (const r of snapshot().regions) if (r.discoveryLastSuccessSeconds !== undefined) g.set({ account: r.account, region: r.region }, r.discoveryLastSuccessSeconds);
  });

  const apiRequests = new Counter({ name: METRICS.apiRequests.name, help: METRICS.apiRequests.help, labelNames: labelNames(METRICS.apiRequests), registers });
  const apiDuration = new Histogram({
    name: METRICS.apiRequestDuration.name, help: METRICS.apiRequestDuration.help, labelNames: labelNames(METRICS.apiRequestDuration),
    buckets: API_DURATION_BUCKETS, registers,
  });
  const reloadOk = new Gauge({ name: METRICS.configReloadSuccessful.name, help: METRICS.configReloadSuccessful.help, registers });
  const reloadAt = new Gauge({ name: METRICS.configReloadTimestamp.name, help: METRICS.configReloadTimestamp.help, registers });
  new Gauge({
    name: METRICS.apiRateLimit.name, help: METRICS.apiRateLimit.help, labelNames: labelNames(METRICS.apiRateLimit), registers,
    collect() {
      this.reset();
      for (const [account, rate] of opts.rateLimits?.() ?? []) this.set({ account }, rate.current);
    },
  });
  new Gauge({
    name: METRICS.buildInfo.name, help: METRICS.buildInfo.help, labelNames: labelNames(METRICS.buildInfo), registers,
    collect() {
      const shard = opts.shard?.() ?? NO_SHARDING;
      this.reset();
      this.set({ version: opts.version, nodejs_version: process.version, shard_index: String(shard.index), shard_count: String(shard.count) }, 1);
    },
  });

  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    for (const name of REJECTED_DEFAULTS) registry.removeSingleMetric(name);
  }
  return { apiRequests, apiDuration, reloadOk, reloadAt };
}
