import assert from 'node:assert/strict';
import { constants, crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { crc32Combine, crcShift, DEFLATE_END, GZIP_HEADER, GzipLine, gzipTrailer, piece, stored } from '../../src/metrics/gzip.js';

describe('gzip from cached pieces', () => {
  const line = new GzipLine();
  it('combines CRC-32s as zlib computes the CRC of the concatenation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), (a, b) => {
        assert.equal(crc32Combine(crc32(a), crc32(b), crcShift(b.length)), crc32(Buffer.concat([a, b])));
      }),
    );
  });

  it('combines across lengths with high bits set (a 40 MB body)', () => {
    const n = 2 ** 25 + 12345;
    const bytes = Buffer.alloc(n, 0x5a);
    bytes.write('# HELP', n - 3000);
    // a long first part after a short one, and a short after a long one
    assert.equal(crc32Combine(crc32(bytes.subarray(0, 1000)), crc32(bytes.subarray(1000)), crcShift(n - 1000)), crc32(bytes));
    assert.equal(crc32Combine(crc32(bytes.subarray(0, n - 5000)), crc32(bytes.subarray(n - 5000)), crcShift(5000)), crc32(bytes));
    // combining after nothing (CRC 0) is the identity
    assert.equal(crc32Combine(0, 0xdeadbeef, crcShift(n)), 0xdeadbeef);
  });

  it('makes one valid gzip member of pieces compressed apart, in any number, and stored bytes of any length', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', maxLength: 2000 }), { maxLength: 12 }),
        fc.oneof(fc.string({ maxLength: 500 }), fc.string({ minLength: 70_000, maxLength: 140_000 })),
        async (texts, tailText) => {
          const pieces = texts.map((t) => piece(Buffer.from(t)));
          const tail = Buffer.from(tailText);
          let crc = 0;
          for (const p of [...pieces, piece(tail)]) crc = crc32Combine(crc, p.crc, p.shift);
          const length = Buffer.byteLength(texts.join('') + tailText);
          const body = Buffer.concat([
            GZIP_HEADER,
            ...(await Promise.all(pieces.map((p) => line.compressed(p)))),
            ...stored(tail),
            DEFLATE_END,
            gzipTrailer(crc, length),
          ]);
          // gunzip checks the CRC and the length
          assert.equal(gunzipSync(body).toString(), texts.join('') + tailText);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('compresses a piece once', async () => {
    const p = piece(Buffer.from('a'.repeat(1000)));
    const first = await line.compressed(p);
    assert.equal(await line.compressed(p), first);
    assert.ok(first.length < 100, 'a thousand equal bytes compress to a few');
  });

  it('compresses in the background what is still current, and drops a piece superseded before its turn', async () => {
    // two slow compressions take both places in line first
    const busy = [piece(randomBytes(8 << 20)), piece(randomBytes(8 << 20))];
    const running = busy.map((p) => line.compressed(p));
    const current = piece(Buffer.from('current '.repeat(500)));
    const old = piece(Buffer.from('old '.repeat(500)));
    line.prefetch(current);
    line.prefetch(old);
    old.superseded = true;
    assert.equal(current.gz, undefined, 'still waiting in line');
    await Promise.all(running);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(current.gzBytes, 'the current piece was compressed');
    assert.equal(inflateRawSync(current.gzBytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString(), 'current '.repeat(500));
    assert.equal(old.gz, undefined, 'the superseded one was not');
    // a scrape that still holds it gets it compressed on demand
    assert.equal(inflateRawSync(await line.compressed(old), { finishFlush: constants.Z_SYNC_FLUSH }).toString(), 'old '.repeat(500));
  });

  it("serves a scrape's compressions before the background's waiting ones", async () => {
    // a quick and a slow compression take both places; the quick one frees its place long before
    const [quick, slow] = [piece(randomBytes(1 << 20)), piece(randomBytes(32 << 20))];
    const running = [quick, slow].map((p) => line.compressed(p));
    const [a, b] = [piece(randomBytes(8 << 20)), piece(randomBytes(8 << 20))];
    line.prefetch(a);
    line.prefetch(b);
    const c = piece(Buffer.from('scrape '.repeat(100)));
    await line.compressed(c);
    // c took the place the quick one freed, though a and b were queued before it
    assert.equal(slow.gzBytes, undefined, 'the slow one still holds the other place');
    assert.equal(a.gzBytes, undefined, 'a, queued earlier, did not go first');
    assert.equal(b.gz, undefined, 'b still waits');
    await Promise.all(running);
    await line.drained();
    assert.ok(a.gzBytes && b.gzBytes, 'the background ones ran after');
  });

  it('queues a piece for the background once, and drains when the line is empty', async () => {
    const busy = [piece(randomBytes(4 << 20)), piece(randomBytes(4 << 20))];
    const running = busy.map((p) => line.compressed(p));
    const p = piece(Buffer.from('queued '.repeat(300)));
    line.prefetch(p);
    line.prefetch(p);
    assert.equal(p.queued, true);
    let drainedYet = false;
    const done = line.drained().then(() => (drainedYet = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(drainedYet, false, 'compressions still run');
    await done;
    await Promise.all(running);
    assert.ok(p.gzBytes, 'compressed by the time the line drained');
    assert.equal(inflateRawSync(p.gzBytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString(), 'queued '.repeat(300));
  });
});
