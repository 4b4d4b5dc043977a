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

export class LogChain {
  private readonly files = new Map<string, LogFile>();
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
    for (const file of this.files.values()) if (file.uploaded === false && file.endMs < from) from = file.endMs;
    return [Math.max(floor, from - this.opts.toleranceMs), nowMs];
  }

  /** Takes every file of a range asked up to `endMs`, all of whose pages answered. */
  ingest(files: readonly LogFile[], endMs: number): void {
    for (const file of files) this.files.set(`${file.host}|${file.name ?? file.beginMs}`, file);
    this.lastEndMs = endMs;
    const oldest = endMs - this.opts.lookbackMs - this.opts.toleranceMs;
    for (const [key, file] of this.files) if (file.endMs < oldest) this.files.delete(key);
    if (this.files.size > MAX_FILES) {
      const byAge = [...this.files].sort(([, a], [, b]) => a.endMs - b.endMs);
      for (const [key] of byAge.slice(0, this.files.size - MAX_FILES)) this.files.delete(key);
    }
  }

  /** What the files say at `nowMs`, gaps counted when they end within `retentionMs` of it. */
  summary(nowMs: number, retentionMs: number): LogChainSummary {
    const byHost = new Map<string, LogFile[]>();
    let newestUploadedEndMs: number | undefined;
    let notUploaded: number | undefined;
    let sizeBytes = 0;
    for (const file of this.files.values()) {
      const list = byHost.get(file.host) ?? [];
      list.push(file);
      byHost.set(file.host, list);
      sizeBytes += file.sizeBytes ?? 0;
      if (file.uploaded !== undefined) notUploaded = (notUploaded ?? 0) + (file.uploaded ? 0 : 1);
      if (file.uploaded !== false && (newestUploadedEndMs === undefined || file.endMs > newestUploadedEndMs)) newestUploadedEndMs = file.endMs;
    }
    const gapsByHost = new Map<string, number>();
    const since = nowMs - retentionMs;
    for (const [host, list] of byHost) {
      list.sort((a, b) => a.beginMs - b.beginMs || a.endMs - b.endMs);
      let gaps = 0;
      let reach = list[0]!.endMs;
      for (const file of list.slice(1)) {
        if (file.beginMs > reach + this.opts.toleranceMs && file.beginMs > since) gaps++;
        reach = Math.max(reach, file.endMs);
      }
      gapsByHost.set(host, gaps);
    }
    const summary: LogChainSummary = { gapsByHost, sizeBytes };
    if (newestUploadedEndMs !== undefined) summary.newestUploadedEndMs = newestUploadedEndMs;
    if (notUploaded !== undefined) summary.notUploaded = notUploaded;
    return summary;
  }
}
