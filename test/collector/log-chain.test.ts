// The log chain keeps a week of files per instance in packed arrays; what it says must be what a
// plain list of the files says (the straightforward model below, the chain's first form).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LogFile } from '../../src/alicloud/rds-api.js';
import { LogChain, type LogChainOptions, type LogChainSummary } from '../../src/collector/log-chain.js';

class Model {
  private readonly files = new Map<string, LogFile>();
  private lastEndMs: number | undefined;
  constructor(private readonly opts: LogChainOptions) {}

  window(nowMs: number): [number, number] {
    const floor = nowMs - this.opts.lookbackMs;
    if (this.lastEndMs === undefined) return [floor, nowMs];
    let from = this.lastEndMs;
    for (const f of this.files.values()) if (f.uploaded === false && f.endMs < from) from = f.endMs;
    return [Math.max(floor, from - this.opts.toleranceMs), nowMs];
  }

  ingest(files: readonly LogFile[], endMs: number): void {
    for (const f of files) this.files.set(`${f.host}|${f.name ?? f.beginMs}`, f);
    this.lastEndMs = endMs;
    const oldest = endMs - this.opts.lookbackMs - this.opts.toleranceMs;
    for (const [k, f] of this.files) if (f.endMs < oldest) this.files.delete(k);
  }

  summary(nowMs: number, retentionMs: number): LogChainSummary {
    const byHost = new Map<string, LogFile[]>();
    let newestUploadedEndMs: number | undefined;
    let notUploaded: number | undefined;
    let sizeBytes = 0;
    for (const f of this.files.values()) {
      byHost.set(f.host, [...(byHost.get(f.host) ?? []), f]);
      sizeBytes += f.sizeBytes ?? 0;
      if (f.uploaded !== undefined) notUploaded = (notUploaded ?? 0) + (f.uploaded ? 0 : 1);
      if (f.uploaded !== false && (newestUploadedEndMs === undefined || f.endMs > newestUploadedEndMs)) newestUploadedEndMs = f.endMs;
    }
    const gapsByHost = new Map<string, number>();
    for (const [host, list] of byHost) {
      list.sort((a, b) => a.beginMs - b.beginMs || a.endMs - b.endMs);
      let gaps = 0;
      let reach = list[0]!.endMs;
      for (const f of list.slice(1)) {
        if (f.beginMs > reach + this.opts.toleranceMs && f.beginMs > nowMs - retentionMs) gaps++;
        reach = Math.max(reach, f.endMs);
      }
      gapsByHost.set(host, gaps);
    }
    const out: LogChainSummary = { gapsByHost, sizeBytes };
    if (newestUploadedEndMs !== undefined) out.newestUploadedEndMs = newestUploadedEndMs;
    if (notUploaded !== undefined) out.notUploaded = notUploaded;
    return out;
  }
}

const H = 3600_000;

describe('LogChain', () => {
  it('says what a plain list of the same files says, whatever the files and looks', () => {
    // files on a coarse grid so that starts, ends and re-listings collide often
    const file = fc.record({
      host: fc.constantFrom('h1', 'h2', ''),
      slot: fc.integer({ min: 0, max: 60 }),
      hours: fc.integer({ min: 1, max: 3 }),
      named: fc.boolean(),
      sizeBytes: fc.option(fc.nat(5000), { nil: undefined }),
      uploaded: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(file, { maxLength: 30 }), { minLength: 1, maxLength: 12 }), (looks) => {
        const opts = { lookbackMs: 24 * H, toleranceMs: 1000 };
        const chain = new LogChain(opts);
        const model = new Model(opts);
        looks.forEach((batch, k) => {
          const endMs = (10 + k * 8) * H;
          const files: LogFile[] = batch.map((f) => {
            const lf: LogFile = { host: f.host, beginMs: f.slot * H, endMs: (f.slot + f.hours) * H };
            // a binlog's name names its start; SQL Server files have none
            if (f.named) lf.name = `bin.${f.slot}`;
            if (f.sizeBytes !== undefined) lf.sizeBytes = f.sizeBytes;
            if (f.uploaded !== undefined) lf.uploaded = f.uploaded;
            return lf;
          });
          chain.ingest(files, endMs);
          model.ingest(files, endMs);
          assert.deepEqual(chain.summary(endMs, 12 * H), model.summary(endMs, 12 * H));
          assert.deepEqual(chain.window(endMs + H), model.window(endMs + H));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('tells files that start together apart by name; the same name again is the same file', () => {
    const chain = new LogChain({ lookbackMs: 24 * H, toleranceMs: 1000 });
    const at = (name: string, sizeBytes: number): LogFile => ({ host: 'h1', beginMs: 2 * H, endMs: 3 * H, name, sizeBytes, uploaded: true });
    chain.ingest([at('mysql-bin.000041', 10), at('mysql-bin.000042', 20)], 4 * H);
    assert.equal(chain.summary(4 * H, 24 * H).sizeBytes, 30, 'two files');
    chain.ingest([at('mysql-bin.000042', 25)], 5 * H);
    assert.equal(chain.summary(5 * H, 24 * H).sizeBytes, 35, 'the second listed again, with its new size');
  });

  it('keeps a month of hourly files looked at hour by hour as a plain list does (growing, forgetting)', () => {
    const opts = { lookbackMs: 7 * 24 * H, toleranceMs: 1000 };
    const chain = new LogChain(opts);
    const model = new Model(opts);
    for (let hour = 1; hour <= 30 * 24; hour++) {
      const files: LogFile[] = [
        {
          host: 'h1',
          beginMs: (hour - 1) * H,
          endMs: hour * H,
          name: `mysql-bin.${String(hour).padStart(6, '0')}`,
          sizeBytes: hour,
          uploaded: hour % 50 !== 0,
        },
      ];
      if (hour % 100 === 0) files.pop(); // a gap now and then
      chain.ingest(files, hour * H);
      model.ingest(files, hour * H);
      if (hour % 24 === 0) assert.deepEqual(chain.summary(hour * H, 3 * 24 * H), model.summary(hour * H, 3 * 24 * H), `hour ${hour}`);
    }
  });
});
