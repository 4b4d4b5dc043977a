// What /metrics serves. The series of the polls (per instance and per region) are written by hand
// from the published snapshots: each instance is rendered once per published snapshot and kept as
// bytes (series-cache.ts), so a scrape copies cached pieces, family by family, in the one format
// asked for, gzipped from cached compressed pieces when the scraper accepts it. The exporter's own
// live metrics (API calls, reloads, rate limits, build, process) are few, and prom-client renders
// them at each scrape.
//
// The text and OpenMetrics registries hold separate metric objects: prom-client renames a counter
// in place (dropping `_total`) when an OpenMetrics registry renders it, which would corrupt the
// text format of a shared object after the first OpenMetrics scrape.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { NO_SHARDING, type Shard } from '../collector/shard.js';
import type { InstanceSnapshot, Snapshot } from '../collector/poller.js';
import type { StateFileStatus } from '../collector/state-file.js';
import { API_DURATION_BUCKETS, HANDLER_METRICS, INSTANCE_LABELS, METRICS, SCRAPE_DURATION_BUCKETS, type MetricDef } from './definitions.js';
import { BUILTIN_READS } from '../collector/reads/index.js';
import type { ReadPlugin } from '../collector/reads/read.js';
import { familyHeader, instanceFamilies, renderRegions, type Format, type InstanceFamily } from './exposition.js';
import { crc32Combine, GzipLine, crcShift, DEFLATE_END, GZIP_HEADER, gzipTrailer, piece, stored, type CompressedPiece } from './gzip.js';
import { InstanceSeries, type FamilyBody } from './series-cache.js';

/** Default Node.js metrics that `promtool check metrics` rejects (gauges named `_total`). */
const REJECTED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A whole exposition, as the buffers to write in order. */
export interface Exposition {
  contentType: string;
  /** whether the buffers are a gzip body (Content-Encoding: gzip) */
  gzip: boolean;
  chunks: readonly Buffer[];
  /** the sum of the chunks' lengths (Content-Length) */
  length: number;
}

export interface RenderRequest {
  /** OpenMetrics 1.0, else the text format 0.0.4 */
  openMetrics: boolean;
  gzip: boolean;
}

export interface ExporterMetrics {
  render(request: RenderRequest): Promise<Exposition>;
  /** an instance's poll published this snapshot: render its series now, not at the next scrape */
  published(inst: InstanceSnapshot): void;
  observeApiCall(account: string, region: string, action: string, code: string, seconds: number): void;
  /** a read of an instance failed with this code */
  observeReadError(account: string, region: string, read: string, code: string): void;
  /** a configuration load or reload succeeded (with its time) or failed */
  configLoaded(ok: boolean, atMs: number): void;
  /** the state file's writes; undefined when there is no state file (its series are then absent) */
  stateFile(status: StateFileStatus | undefined): void;
  /** the exporter's own health, as counted here, for the status page */
  selfStatus(): SelfStatus;
  /** a request to the metrics endpoint has come; call what it returns with the status sent */
  scrapeStarted(): (status: number) => void;
}

export interface SelfStatus {
  reload: { successful: boolean; lastSuccessMs?: number };
}

/** The live metrics of one registry, fed as things happen. */
interface LiveMetrics {
  apiRequests: Counter;
  apiDuration: Histogram;
  readErrors: Counter;
  reloadOk: Gauge;
  reloadAt: Gauge;
  /** registered in `registry` only while they have a value */
  stateFileOk: Gauge;
  stateFileAt: Gauge;
  registry: Registry;
  /** absent with handlerMetrics: false */
  handler?: { requests: Counter; inFlight: Gauge; duration: Histogram };
}

export interface MetricsOptions {
  snapshot: () => Snapshot;
  version: string;
  /** git revision and branch of the build (default: unknown) */
  build?: { revision: string; branch: string };
  /** this replica's shard, which a reload may change (default: the only one) */
  shard?: () => Shard;
  /** `nonzero`: serve alicloud_rds_backup_tasks only for the statuses some task is in (metrics.task_statuses) */
  taskStatuses?: () => 'all' | 'nonzero';
  /** tags_as_labels now: the tag_<key> labels of instance_info */
  tagKeys?: () => readonly string[];
  /** each account's adaptive rate limit now */
  rateLimits?: () => ReadonlyMap<string, { readonly current: number }>;
  /** where pieces are compressed (default: a line of its own) */
  gzipLine?: GzipLine;
  /** the reads the instances are polled with (default: the built-in ones) */
  reads?: ReadonlyArray<ReadPlugin<unknown>>;
  /** include process_* and nodejs_* metrics (default true) */
  processMetrics?: boolean;
  /** include the metrics endpoint's own promhttp_* metrics (default true) */
  handlerMetrics?: boolean;
}

const CONTENT_TYPE: Record<Format, string> = { text: Registry.PROMETHEUS_CONTENT_TYPE, openmetrics: Registry.OPENMETRICS_CONTENT_TYPE };

function labelNames(def: MetricDef): string[] {
  return def.perInstance ? [...INSTANCE_LABELS, ...def.labels] : [...def.labels];
}

/** Header pieces of the instance families, per format, made once. */
function headersOf(families: readonly InstanceFamily[]): Record<Format, readonly CompressedPiece[]> {
  return {
    text: families.map(([def], f) => piece(Buffer.from(familyHeader(def, 'text', f === 0)))),
    openmetrics: families.map(([def]) => piece(Buffer.from(familyHeader(def, 'openmetrics', true)))),
  };
}

/** CRC-32, shift and length of a family's bytes, combined from its pieces' once. */
function whole(body: FamilyBody): { crc: number; shift: number; length: number } {
  if (!body.whole) {
    let crc = 0;
    let length = 0;
    for (const p of body.pieces) {
      crc = crc32Combine(crc, p.crc, p.shift);
      length += p.raw.length;
    }
    body.whole = { crc, shift: crcShift(length), length };
  }
  return body.whole;
}

/**
 * Uncompressed bytes a gzip scrape may send as they are (stored deflate blocks) instead of waiting
 * for their compression, when it is already under way in the background: the blocks a poll has
 * just rebuilt. Waiting would take the scrape through the thread pool and back behind the poll's
 * own work on the event loop (77–92 ms at 10,000 instances, against 6 ms for cached bytes);
 * sending them costs at most this much more on the wire, once: the next scrape finds them compressed.
 */
export const STORED_BUDGET = 1024 * 1024;

/**
 * A family's compressed bytes, as buffers to write: its pieces' compressed forms, joined and kept
 * once all are made. A piece still being compressed in the background goes stored while `budget`
 * lasts; any other missing piece is compressed now and waited for (the first gzip scrape).
 */
async function familyGzip(body: FamilyBody, budget: { bytes: number }, line: GzipLine): Promise<Buffer[]> {
  if (body.gz) return [body.gz];
  const parts: Array<Buffer | Buffer[] | Promise<Buffer>> = [];
  let complete = true;
  for (const p of body.pieces) {
    if (p.gzBytes) {
      parts.push(p.gzBytes);
    } else if (p.queued && p.raw.length <= budget.bytes) {
      budget.bytes -= p.raw.length;
      parts.push(stored(p.raw));
      complete = false;
    } else {
      parts.push(line.compressed(p));
    }
  }
  const chunks = (await Promise.all(parts)).flat();
  if (!complete) return chunks;
  body.gz = Buffer.concat(chunks);
  return [body.gz];
}

/** The body from the headers and the families' pieces, plain or as one gzip member. */
async function assemble(
  headers: readonly CompressedPiece[],
  families: readonly FamilyBody[],
  tail: Buffer,
  gzip: boolean,
  line: GzipLine,
): Promise<{ chunks: Buffer[]; length: number }> {
  const chunks: Buffer[] = [];
  if (!gzip) {
    families.forEach((body, f) => {
      chunks.push(headers[f]!.raw, ...body.pieces.map((p) => p.raw));
    });
    chunks.push(tail);
    return { chunks, length: chunks.reduce((n, c) => n + c.length, 0) };
  }
  const budget = { bytes: STORED_BUDGET };
  const gz = await Promise.all(families.map((body) => familyGzip(body, budget, line)));
  await Promise.all(headers.map((h) => line.compressed(h)));
  const last = piece(tail);
  let crc = 0;
  let rawLength = 0;
  chunks.push(GZIP_HEADER);
  families.forEach((body, f) => {
    const header = headers[f]!;
    const all = whole(body);
    crc = crc32Combine(crc32Combine(crc, header.crc, header.shift), all.crc, all.shift);
    rawLength += header.raw.length + all.length;
    chunks.push(header.gzBytes!, ...gz[f]!);
  });
  crc = crc32Combine(crc, last.crc, last.shift);
  rawLength += tail.length;
  chunks.push(...stored(tail), DEFLATE_END, gzipTrailer(crc, rawLength));
  return { chunks, length: chunks.reduce((n, c) => n + c.length, 0) };
}

export function createMetrics(opts: MetricsOptions): ExporterMetrics {
  const prometheus = new Registry();
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const live = [registerLive(prometheus, opts), registerLive(openMetrics as unknown as Registry, opts)];
  const defs = instanceFamilies(opts.reads ?? BUILTIN_READS);
  const headers = headersOf(defs);
  const line = opts.gzipLine ?? new GzipLine();
  const series = new InstanceSeries(defs, line, () => ({ taskStatuses: opts.taskStatuses?.() ?? 'all', tagKeys: opts.tagKeys?.() ?? [] }));
  const self: SelfStatus = { reload: { successful: true } };

  return {
    async render({ openMetrics: asOpenMetrics, gzip }) {
      const format: Format = asOpenMetrics ? 'openmetrics' : 'text';
      // Started first: prom-client's event loop lag waits for the loop to turn.
      const ownRendering = (asOpenMetrics ? openMetrics : prometheus).metrics();
      // One snapshot for the whole body, taken at once: the cached pieces are immutable.
      const snapshot = opts.snapshot();
      const families = series.pieces(snapshot.instances, gzip);
      const own = await ownRendering;
      const tail = Buffer.from(`${renderRegions(snapshot.regions, format)}${format === 'text' ? '\n' : ''}${own}`);
      return { contentType: CONTENT_TYPE[format], gzip, ...(await assemble(headers[format], families, tail, gzip, line)) };
    },
    published: (inst) => series.publish(inst),
    observeApiCall(account, region, action, code, seconds) {
      for (const m of live) {
        m.apiRequests.inc({ account, region, action, code });
        m.apiDuration.observe({ account, region, action }, seconds);
      }
    },
    observeReadError(account, region, read, code) {
      for (const m of live) m.readErrors.inc({ account, region, read, code });
    },
    configLoaded(ok, atMs) {
      for (const m of live) {
        m.reloadOk.set(ok ? 1 : 0);
        if (ok) m.reloadAt.set(atMs / 1000);
      }
      self.reload = ok ? { successful: true, lastSuccessMs: atMs } : { ...self.reload, successful: false };
    },
    stateFile(status) {
      for (const m of live) {
        showIf(m.registry, m.stateFileOk, status?.lastWriteOk === undefined ? undefined : status.lastWriteOk ? 1 : 0);
        showIf(m.registry, m.stateFileAt, status?.lastSuccessMs === undefined ? undefined : status.lastSuccessMs / 1000);
      }
    },
    selfStatus: () => ({ reload: { ...self.reload } }),
    scrapeStarted() {
      const handlers = live.flatMap((m) => (m.handler ? [m.handler] : []));
      if (handlers.length === 0) return () => undefined;
      for (const h of handlers) h.inFlight.inc();
      const started = performance.now();
      return (status) => {
        const seconds = (performance.now() - started) / 1000;
        for (const h of handlers) {
          h.inFlight.dec();
          h.requests.inc({ code: String(status) });
          h.duration.observe(seconds);
        }
      };
    },
  };
}

/** Serves a label-less gauge with `value`, or not at all when it is undefined (prom-client would serve 0). */
function showIf(registry: Registry, gauge: Gauge, value: number | undefined): void {
  const name = (gauge as unknown as { name: string }).name;
  if (value === undefined) {
    registry.removeSingleMetric(name);
    return;
  }
  gauge.set(value);
  if (!registry.getSingleMetric(name)) registry.registerMetric(gauge);
}

/** Declares the exporter's own metrics in `registry`. */
function registerLive(registry: Registry, opts: MetricsOptions): LiveMetrics {
  const registers = [registry];
  const apiRequests = new Counter({ name: METRICS.apiRequests.name, help: METRICS.apiRequests.help, labelNames: labelNames(METRICS.apiRequests), registers });
  const apiDuration = new Histogram({
    name: METRICS.apiRequestDuration.name,
    help: METRICS.apiRequestDuration.help,
    labelNames: labelNames(METRICS.apiRequestDuration),
    buckets: API_DURATION_BUCKETS,
    registers,
  });
  const readErrors = new Counter({ name: METRICS.readErrors.name, help: METRICS.readErrors.help, labelNames: labelNames(METRICS.readErrors), registers });
  const reloadOk = new Gauge({ name: METRICS.configReloadSuccessful.name, help: METRICS.configReloadSuccessful.help, registers });
  const reloadAt = new Gauge({ name: METRICS.configReloadTimestamp.name, help: METRICS.configReloadTimestamp.help, registers });
  new Gauge({
    name: METRICS.apiRateLimit.name,
    help: METRICS.apiRateLimit.help,
    labelNames: labelNames(METRICS.apiRateLimit),
    registers,
    collect() {
      this.reset();
      for (const [account, rate] of opts.rateLimits?.() ?? []) this.set({ account }, rate.current);
    },
  });
  new Gauge({
    name: METRICS.buildInfo.name,
    help: METRICS.buildInfo.help,
    labelNames: labelNames(METRICS.buildInfo),
    registers,
    collect() {
      const shard = opts.shard?.() ?? NO_SHARDING;
      this.reset();
      const build = opts.build ?? { revision: 'unknown', branch: 'unknown' };
      this.set(
        {
          version: opts.version,
          revision: build.revision,
          branch: build.branch,
          nodejs_version: process.version,
          shard_index: String(shard.index),
          shard_count: String(shard.count),
        },
        1,
      );
    },
  });
  let handler: LiveMetrics['handler'];
  if (opts.handlerMetrics !== false) {
    const requests = new Counter({
      name: HANDLER_METRICS.requests.name,
      help: HANDLER_METRICS.requests.help,
      labelNames: labelNames(HANDLER_METRICS.requests),
      registers,
    });
    // As promhttp does: the codes a scrape most often ends with are there from the start.
    for (const code of ['200', '500', '503']) requests.inc({ code }, 0);
    handler = {
      requests,
      inFlight: new Gauge({ name: HANDLER_METRICS.inFlight.name, help: HANDLER_METRICS.inFlight.help, registers }),
      duration: new Histogram({ name: HANDLER_METRICS.duration.name, help: HANDLER_METRICS.duration.help, buckets: SCRAPE_DURATION_BUCKETS, registers }),
    };
  }

  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    for (const name of REJECTED_DEFAULTS) registry.removeSingleMetric(name);
  }
  // Not registered until there is a state file with a value to show (showIf).
  const stateFileOk = new Gauge({ name: METRICS.stateFileWriteSuccess.name, help: METRICS.stateFileWriteSuccess.help, registers: [] });
  const stateFileAt = new Gauge({ name: METRICS.stateFileLastSuccessTimestamp.name, help: METRICS.stateFileLastSuccessTimestamp.help, registers: [] });
  return { apiRequests, apiDuration, readErrors, reloadOk, reloadAt, stateFileOk, stateFileAt, registry, ...(handler ? { handler } : {}) };
}
