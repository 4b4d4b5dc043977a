// A gzip body assembled from pieces compressed once and kept: each piece is a raw deflate stream
// ended by a sync flush (byte-aligned, not final, no reference to earlier bytes), so pieces can be
// concatenated in any order, followed by stored blocks, and closed by one empty final block. The CRC-32 of the whole is
// combined from the pieces' own, without reading the bytes again (zlib's crc32_combine).
import { constants, crc32, deflateRaw } from 'node:zlib';
import { Semaphore } from '../concurrency/semaphore.js';

/** An uncompressed piece of a body, with what a gzip body needs of it. */
export interface Piece {
  readonly raw: Buffer;
  readonly crc: number;
  /** x^(8 × raw.length) mod the CRC polynomial: what combining this piece after others needs */
  readonly shift: number;
}

/** The compressed form of a piece, made on demand and kept with it. */
export interface CompressedPiece extends Piece {
  gz?: Promise<Buffer>;
  /** the compressed form once made */
  gzBytes?: Buffer;
  /** replaced by a newer piece: a background compression not started yet is dropped */
  superseded?: boolean;
  /** in the background line (or compressed already): its compressed form is on its way */
  queued?: boolean;
}

const POLY = 0xedb88320;
/** 10-byte gzip header: deflate, no name, no time, unknown OS. */
export const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final deflate block (fixed Huffman, end of block only). */
export const DEFLATE_END = Buffer.from([0x03, 0x00]);
const OPTIONS = { finishFlush: constants.Z_SYNC_FLUSH, level: 6 };

/** a(x) × b(x) modulo the CRC-32 polynomial, bits reflected. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, for k = 0..31. */
const X2N: Uint32Array = (() => {
  const table = new Uint32Array(32);
  let p = 0x40000000; // x^1
  table[0] = p;
  for (let k = 1; k < 32; k++) table[k] = p = multModP(p, p);
  return table;
})();

/** x^(8 × bytes) modulo the polynomial. */
export function crcShift(bytes: number): number {
  let p = 0x80000000; // x^0
  let k = 3;
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
  return p;
}

/** The CRC-32 of A followed by B, from crc(A), crc(B) and crcShift(|B|). */
export function crc32Combine(crcA: number, crcB: number, shiftB: number): number {
  return (multModP(shiftB, crcA) ^ crcB) >>> 0;
}

export function piece(raw: Buffer): CompressedPiece {
  return { raw, crc: crc32(raw), shift: crcShift(raw.length) };
}

/**
 * Compressions running at once, off the event loop. Each holds zlib's working memory (about 300
 * KiB), so thousands of pieces asked at once (the first gzip scrape) wait in line. One line per
 * metrics registry (one a process): the compressed pieces are shared by every scrape.
 */
export class GzipLine {
  private readonly places = new Semaphore(2);

  /**
   * Resolves with a release once a place is free: a scrape's compressions (`now`, served first, as
   * a listing is) before any waiting in the background, so that a scrape during a poll does not
   * wait behind the compression of every block the poll's publishing rebuilt.
   */
  private slot(line: 'now' | 'later'): Promise<() => void> {
    return this.places.acquire(undefined, line === 'now' ? 'listing' : 'backlog');
  }

  /** Resolves once no compression runs or waits (the background's included). */
  drained(): Promise<void> {
    return this.places.drained();
  }

  /** The piece's raw deflate stream (sync-flushed), compressed off the event loop once. */
  compressed(p: CompressedPiece): Promise<Buffer> {
    p.gz ??= this.slot('now').then((release) => deflate(p, release));
    return p.gz;
  }

  /**
   * Compresses `p` in the background, in line with the others, so that a later gzip scrape finds
   * it ready. The line holds the piece weakly, and drops it if, by its turn, a newer piece replaced
   * it (a block rebuilt again while polls publish) or nothing holds it any more: a backlog of
   * superseded pieces neither keeps their bytes alive nor costs their compression.
   */
  prefetch(p: CompressedPiece): void {
    if (p.gz || p.queued) return;
    p.queued = true;
    const ref = new WeakRef(p);
    void this.slot('later').then((release) => {
      const piece = ref.deref();
      if (!piece || piece.gz || piece.superseded) return release();
      piece.gz = deflate(piece, release);
      // a scrape that asks later gets the rejection; here it only must not go unhandled
      piece.gz.catch(() => undefined);
    });
  }
}

/** Compresses `p` now, in a place already taken, and keeps the result with it. */
function deflate(p: CompressedPiece, release: () => void): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => deflateRaw(p.raw, OPTIONS, (err, out) => (err ? reject(err) : resolve(out))))
    .finally(release)
    .then((bytes) => (p.gzBytes = bytes));
}

/**
 * `raw` as stored (uncompressed) deflate blocks, not final. For the few bytes made anew at every
 * scrape (the exporter's own metrics), sending them as they are costs less than compressing them:
 * setting up a compressor alone costs about half a millisecond.
 */
export function stored(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < raw.length; at += 0xffff) {
    const part = raw.subarray(at, at + 0xffff);
    // BFINAL 0, BTYPE 00, padded to the byte (the stream is byte-aligned here); LEN and its complement.
    const head = Buffer.alloc(5);
    head.writeUInt16LE(part.length, 1);
    head.writeUInt16LE(~part.length & 0xffff, 3);
    out.push(head, part);
  }
  return out;
}

/** The 8-byte gzip trailer: CRC-32 and length modulo 2^32, little-endian. */
export function gzipTrailer(crc: number, length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(crc >>> 0, 0);
  out.writeUInt32LE(length % 2 ** 32, 4);
  return out;
}
