// What one instance's log backup files say about point-in-time restore: the newest uploaded file,
// the files still uploading, the bytes kept, and the gaps in each host's chain. A gap is a file
// whose start is later than the latest end of the files before it on the same host (by more than
// the API's time precision): no restore can cross it.
//
// Cost: the first look covers `lookbackMs`; afterwards only the time since the last look is asked
// for. The API lists every file that overlaps the asked range, so a file still being written at the
// last look is listed at the next; the range also reaches back to the end of the oldest file that
// was still uploading, so that its new status is seen.
import type { LogFile } from '../alicloud/rds-api.js';

export interface LogChainOptions {
  lookbackMs: number;
  /** the API's time precision: ends and starts closer than this are one chain */
  toleranceMs: number;
}

export interface LogChainSummary {
  /** LogEndTime of the newest file that is uploaded (or whose upload status the API does not tell) */
  newestUploadedEndMs?: number;
  /** files listed as still uploading; undefined when the API does not tell (SQL Server) */
  notUploaded?: number;
  /** gaps per host whose far end lies inside the retention period */
  gapsByHost: ReadonlyMap<string, number>;
  /** FileSize of every file known within the look-back */
  sizeBytes: number;
}

/** Past this many files the oldest are forgotten (a busy instance over a long look-back). */
const MAX_FILES = 100_000;

const UNKNOWN = 0;
const UPLOADED = 1;
const UPLOADING = 2;

/** Fields of a file in HostFiles' number array. */
const BEGIN = 0;
const END = 1;
/** FileSize; NaN when not given */
const SIZE = 2;
const STRIDE = 3;

/**
 * A 30-bit hash of a file name (cyrb53's low word), shifted over the file's 2-bit status in the
 * file's tag; 0 is kept for "no name". The name only tells two files that start at the same
 * millisecond on the same host apart; two different names there agree with a probability of 2^-30.
 */
function nameHash(name: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  return h1 & 0x3fffffff || 1;
}

/**
 * One host's files, sorted by start then end: per file three numbers (start, end, size) in one
 * Float64Array and a tag (name hash and status) in one Uint32Array; no object and no string per
 * file. A week of hourly binlogs is 168 files per instance; kept as objects in a Map they were
 * about 300 bytes each (1.7 million at 10,000 instances), as parallel arrays with the name about
 * 130, as five numbers 40; this is 28 (31 with the room to grow).
 */
class HostFiles {
  private data: Float64Array;
  private tags: Uint32Array;
  length = 0;

  constructor(expected: number) {
    const room = Math.max(8, expected + (expected >>> 3));
    this.data = new Float64Array(STRIDE * room);
    this.tags = new Uint32Array(room);
  }

  begin(i: number): number {
    return this.data[i * STRIDE + BEGIN]!;
  }

  end(i: number): number {
    return this.data[i * STRIDE + END]!;
  }

  size(i: number): number {
    return this.data[i * STRIDE + SIZE]!;
  }

  status(i: number): number {
    return this.tags[i]! & 3;
  }

  /** Adds the file, or replaces the one it is: the same start, and the same name when it has one. */
  upsert(file: LogFile): void {
    const name = file.name ? nameHash(file.name) : 0;
    const status = file.uploaded === undefined ? UNKNOWN : file.uploaded ? UPLOADED : UPLOADING;
    const tag = (name * 4 + status) >>> 0;
    const size = file.sizeBytes ?? NaN;
    let i = this.firstStartingAt(file.beginMs);
    for (let j = i; j < this.length && this.begin(j) === file.beginMs; j++) {
      if (this.tags[j]! >>> 2 !== name) continue;
      if (this.end(j) === file.endMs) {
        this.data[j * STRIDE + SIZE] = size;
        this.tags[j] = tag;
        return;
      }
      this.remove([j]);
      break;
    }
    // Keep the order by start, then end.
    while (i < this.length && this.begin(i) === file.beginMs && this.end(i) < file.endMs) i++;
    if (this.length + 1 > this.tags.length) {
      // grows by an eighth (at least 8 files): a week of hourly files, one more an hour, settles
      // with little unused room
      this.resize(this.tags.length + Math.max(8, this.length >>> 3));
    }
    const { data, tags } = this;
    data.copyWithin((i + 1) * STRIDE, i * STRIDE, this.length * STRIDE);
    tags.copyWithin(i + 1, i, this.length);
    data[i * STRIDE + BEGIN] = file.beginMs;
    data[i * STRIDE + END] = file.endMs;
    data[i * STRIDE + SIZE] = size;
    tags[i] = tag;
    this.length++;
  }

  /** Room for `files` files, keeping the first `length`. */
  private resize(files: number): void {
    const data = new Float64Array(files * STRIDE);
    data.set(this.data.subarray(0, this.length * STRIDE));
    const tags = new Uint32Array(files);
    tags.set(this.tags.subarray(0, this.length));
    [this.data, this.tags] = [data, tags];
  }

  /** The first index whose start is not before `beginMs` (binary search). */
  private firstStartingAt(beginMs: number): number {
    let [lo, hi] = [0, this.length];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.begin(mid) < beginMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Removes the files at these indexes. */
  remove(indexes: readonly number[]): void {
    if (indexes.length === 0) return;
    const drop = new Set(indexes);
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      if (drop.has(i)) continue;
      if (kept !== i) {
        this.data.copyWithin(kept * STRIDE, i * STRIDE, (i + 1) * STRIDE);
        this.tags[kept] = this.tags[i]!;
      }
      kept++;
    }
    this.length = kept;
    // give back room once most of it is unused (files forgotten past the look-back)
    if (this.tags.length > 4 * Math.max(8, kept)) this.resize(Math.max(8, kept) * 2);
  }
}

export class LogChain {
  private readonly hosts = new Map<string, HostFiles>();
  private lastEndMs: number | undefined;

  constructor(private opts: LogChainOptions) {}

  setLookback(lookbackMs: number): void {
    this.opts = { ...this.opts, lookbackMs };
  }

  /** Whether a look has been taken. */
  get known(): boolean {
    return this.lastEndMs !== undefined;
  }

  /** The [start, end] range to ask for now. */
  window(nowMs: number): [number, number] {
    const floor = nowMs - this.opts.lookbackMs;
    if (this.lastEndMs === undefined) return [floor, nowMs];
    let from = this.lastEndMs;
    for (const files of this.hosts.values()) {
      for (let i = 0; i < files.length; i++) if (files.status(i) === UPLOADING && files.end(i) < from) from = files.end(i);
    }
    return [Math.max(floor, from - this.opts.toleranceMs), nowMs];
  }

  /** Takes every file of a range asked up to `endMs`, all of whose pages answered. */
  ingest(files: readonly LogFile[], endMs: number): void {
    for (const file of files) {
      let host = this.hosts.get(file.host);
      if (!host) {
        // sized for the files of this answer on the host: a first look (a week of files) grows it once
        let count = 0;
        for (const f of files) if (f.host === file.host) count++;
        this.hosts.set(file.host, (host = new HostFiles(count)));
      }
      host.upsert(file);
    }
    this.lastEndMs = endMs;
    this.forgetEndedBefore(endMs - this.opts.lookbackMs - this.opts.toleranceMs);
    let count = 0;
    for (const host of this.hosts.values()) count += host.length;
    if (count > MAX_FILES) {
      const ends = [...this.hosts.values()].flatMap((h) => Array.from({ length: h.length }, (_, i) => h.end(i))).sort((a, b) => a - b);
      this.forgetEndedBefore(ends[count - MAX_FILES]!);
    }
  }

  private forgetEndedBefore(oldest: number): void {
    for (const [name, host] of this.hosts) {
      const old: number[] = [];
      for (let i = 0; i < host.length; i++) if (host.end(i) < oldest) old.push(i);
      host.remove(old);
      if (host.length === 0) this.hosts.delete(name);
    }
  }

  /** What the files say at `nowMs`, gaps counted when they end within `retentionMs` of it. */
  summary(nowMs: number, retentionMs: number): LogChainSummary {
    let newestUploadedEndMs: number | undefined;
    let notUploaded: number | undefined;
    let sizeBytes = 0;
    const gapsByHost = new Map<string, number>();
    const since = nowMs - retentionMs;
    for (const [name, files] of this.hosts) {
      let gaps = 0;
      let reach = files.end(0);
      for (let i = 0; i < files.length; i++) {
        const [begin, end, status, size] = [files.begin(i), files.end(i), files.status(i), files.size(i)];
        if (!Number.isNaN(size)) sizeBytes += size;
        if (status !== UNKNOWN) notUploaded = (notUploaded ?? 0) + (status === UPLOADING ? 1 : 0);
        if (status !== UPLOADING && (newestUploadedEndMs === undefined || end > newestUploadedEndMs)) newestUploadedEndMs = end;
        if (i > 0 && begin > reach + this.opts.toleranceMs && begin > since) gaps++;
        reach = Math.max(reach, end);
      }
      gapsByHost.set(name, gaps);
    }
    const summary: LogChainSummary = { gapsByHost, sizeBytes };
    if (newestUploadedEndMs !== undefined) summary.newestUploadedEndMs = newestUploadedEndMs;
    if (notUploaded !== undefined) summary.notUploaded = notUploaded;
    return summary;
  }
}
