// One HTTP GET timed from the request to the last byte of the body, with node's http module
// (keep-alive, like Prometheus); the body is read in full but not decompressed.
import { Agent, request } from 'node:http';

export interface Scrape {
  /** request written → last body byte, ms */
  ms: number;
  /** wall-clock start and end (performance.timeOrigin-based ms, comparable across processes) */
  startAt: number;
  endAt: number;
  status: number;
  /** bytes on the wire (compressed when Content-Encoding is set) */
  bytes: number;
  contentType: string;
  contentEncoding: string;
  body?: Buffer;
}

export const wallNow = (): number => performance.timeOrigin + performance.now();

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

export function get(url: string, opts: { headers?: Record<string, string>; agent?: Agent; timeoutMs: number; keepBody?: boolean }): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const startAt = wallNow();
    const started = performance.now();
    const req = request(url, { headers: opts.headers ?? {}, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (opts.keepBody) chunks.push(chunk);
      });
      res.on('end', () => {
        const ms = performance.now() - started;
        resolve({
          ms,
          startAt,
          endAt: wallNow(),
          status: res.statusCode ?? 0,
          bytes,
          contentType: String(res.headers['content-type'] ?? ''),
          contentEncoding: String(res.headers['content-encoding'] ?? ''),
          ...(opts.keepBody ? { body: Buffer.concat(chunks) } : {}),
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Nearest-rank percentile (p in 0–100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
