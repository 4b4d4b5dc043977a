// The per-instance series as bytes, kept between scrapes in one copy.
//
// Instances are laid out in blocks (the snapshot's order, BLOCK_SIZE a block); each block keeps,
// per family, the bytes of its instances' sample lines and where each instance's lines start.
// When a poll publishes a snapshot, the instance is rendered at once and compared family by
// family with the bytes kept: a family that changed is held aside and its block marked to rebuild.
// Blocks are rebuilt (copying the unchanged instances' bytes, taking the new ones) shortly after
// changes, in the background, or by a scrape that comes first; a block's compressed form is made
// once per rebuild, once a gzip scrape has asked for one. A scrape then only lists cached pieces,
// family by family: no per-series object, no rendering, no compression of what did not change.
import type { InstanceSnapshot } from '../collector/poller.js';
import { renderInstance, sameRendering, type InstanceFamily, type RenderOptions } from './exposition.js';
import { piece, type CompressedPiece, type GzipLine } from './gzip.js';

/**
 * Instances per block: large enough that a scrape writes few pieces and each compresses well,
 * small enough that one instance's change rebuilds little.
 */
export const BLOCK_SIZE = 128;
/** How long after a change the background rebuild waits for more (polls publish in bursts). */
const REBUILD_DELAY_MS = 1000;

const EMPTY = Buffer.alloc(0);

/**
 * The cached pieces of one family, in order: a new object whenever one of them changed, so that
 * what is derived from the whole (its compressed bytes joined, its CRC) is kept with it.
 */
export interface FamilyBody {
  readonly pieces: readonly CompressedPiece[];
  /** the pieces' compressed forms joined, once made */
  gz?: Buffer;
  /** CRC-32, crcShift and length of the family's bytes, once asked */
  whole?: { crc: number; shift: number; length: number };
}

interface Entry {
  snapshot: InstanceSnapshot;
  /** the block serving this instance in the current layout, and its place there */
  block?: Block;
  index: number;
  /** per family, new bytes not yet in the block (sparse) */
  pending?: Array<Buffer | undefined>;
}

/** One family of one block: its instances' lines, and where each instance's start. */
interface BlockFamily {
  readonly raw: Buffer;
  /** byte offset of each instance's lines in `raw`, and the end */
  readonly offsets: Uint32Array;
  /** the cached piece; absent when the block has no line of this family */
  readonly piece?: CompressedPiece;
}

interface Block {
  readonly entries: readonly Entry[];
  readonly families: Array<BlockFamily | undefined>;
  readonly dirty: boolean[];
}

export class InstanceSeries {
  private readonly byKey = new Map<string, Entry>();
  private bySnapshot = new WeakMap<InstanceSnapshot, Entry>();
  private layout: readonly Entry[] = [];
  /** the list of snapshots last laid out */
  private instances: readonly InstanceSnapshot[] | undefined;
  private blocks: readonly Block[] = [];
  /** entries with pending bytes */
  private readonly pending = new Set<Entry>();
  private rendered: RenderOptions;
  /** per family, its pieces as served now; undefined once a block of it was rebuilt */
  private readonly families: Array<FamilyBody | undefined>;
  /** a reusable scratch buffer: comparing new lines with the kept ones allocates nothing */
  private scratch = Buffer.allocUnsafeSlow(64 * 1024);
  private timer: NodeJS.Timeout | undefined;
  /** whether a scrape has asked for gzip: background rebuilds then compress too */
  private gzipWanted = false;

  constructor(
    /** the families served per instance, in order */
    private readonly defs: readonly InstanceFamily[],
    /** where rebuilt pieces are compressed in the background */
    private readonly gzipLine: GzipLine,
    private readonly options: () => RenderOptions,
  ) {
    this.rendered = options();
    this.families = new Array(defs.length).fill(undefined);
  }

  /** Renders a newly published snapshot of an instance; a snapshot already rendered costs a look-up. */
  publish(inst: InstanceSnapshot): void {
    this.entry(inst);
  }

  /**
   * The pieces of every instance family for `instances` (the snapshot's, in order): per family,
   * its blocks' non-empty pieces. Rebuilds only what changed; with `gzip`, the pieces' compressed
   * forms are wanted from now on.
   */
  pieces(instances: readonly InstanceSnapshot[], gzip: boolean): readonly FamilyBody[] {
    const options = this.options();
    if (!sameRendering(options, this.rendered)) {
      // Another rendering (a reload changed metrics.task_statuses or tags_as_labels): everything again.
      this.rendered = options;
      this.byKey.clear();
      this.pending.clear();
      this.bySnapshot = new WeakMap();
      this.layout = [];
      this.blocks = [];
      this.families.fill(undefined);
      this.instances = undefined;
    }
    // The poller hands the same list while nothing was published: nothing to look at then.
    if (instances !== this.instances) {
      const entries = instances.map((inst) => this.entry(inst));
      if (entries.length !== this.layout.length || entries.some((e, i) => e !== this.layout[i])) this.relayout(entries);
      this.instances = instances;
    }
    this.rebuild();
    // From now on, rebuilt blocks are compressed in the background. Not those this first gzip
    // scrape rebuilt: it compresses them itself, and a piece in the background line may go stored.
    this.gzipWanted ||= gzip;
    for (let f = 0; f < this.defs.length; f++) {
      if (this.families[f]) continue;
      const list: CompressedPiece[] = [];
      for (const block of this.blocks) {
        const p = block.families[f]!.piece;
        if (p) list.push(p);
      }
      this.families[f] = { pieces: list };
    }
    // A copy: a background rebuild may replace the families while the caller awaits.
    return [...(this.families as FamilyBody[])];
  }

  private entry(inst: InstanceSnapshot): Entry {
    const known = this.bySnapshot.get(inst);
    if (known) return known;
    const chunks = renderInstance(inst, this.defs, this.rendered);
    const key = `${inst.account}/${inst.region}/${inst.instanceId}`;
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { snapshot: inst, index: 0, pending: chunks.map(encode) };
      this.byKey.set(key, entry);
      this.pending.add(entry);
    } else {
      entry.snapshot = inst;
      for (let f = 0; f < this.defs.length; f++) {
        if (this.same(entry, f, chunks[f]!)) continue;
        (entry.pending ??= new Array<Buffer | undefined>(this.defs.length))[f] = encode(chunks[f]!);
        this.pending.add(entry);
        if (entry.block) {
          entry.block.dirty[f] = true;
          this.schedule();
        }
      }
    }
    this.bySnapshot.set(inst, entry);
    return entry;
  }

  /** Whether `text` is the instance's lines of family `f` as kept. */
  private same(entry: Entry, f: number, text: string): boolean {
    const held = entry.pending?.[f];
    let kept: Buffer;
    let start: number;
    let end: number;
    if (held) {
      [kept, start, end] = [held, 0, held.length];
    } else {
      const family = entry.block?.families[f];
      if (!family) return false;
      [kept, start, end] = [family.raw, family.offsets[entry.index]!, family.offsets[entry.index + 1]!];
    }
    const length = Buffer.byteLength(text);
    if (length !== end - start) return false;
    if (length > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(length * 2);
    this.scratch.write(text);
    return kept.compare(this.scratch, 0, length, start, end) === 0;
  }

  /** Instances came or went: new blocks in the snapshot's order, every instance's bytes held aside, instances gone forgotten. */
  private relayout(entries: readonly Entry[]): void {
    const kept = new Set(entries);
    for (const [key, entry] of this.byKey) {
      if (kept.has(entry)) continue;
      this.byKey.delete(key);
      this.pending.delete(entry);
      this.bySnapshot.delete(entry.snapshot);
    }
    for (const entry of entries) {
      const old = entry.block;
      if (!old) continue;
      const pending = (entry.pending ??= new Array<Buffer | undefined>(this.defs.length));
      for (let f = 0; f < this.defs.length; f++) {
        const family = old.families[f];
        if (pending[f] || !family) continue;
        pending[f] = family.raw.subarray(family.offsets[entry.index], family.offsets[entry.index + 1]);
      }
      this.pending.add(entry);
    }
    const blocks: Block[] = [];
    for (let start = 0; start < entries.length; start += BLOCK_SIZE) {
      const block: Block = {
        entries: entries.slice(start, start + BLOCK_SIZE),
        families: new Array(this.defs.length).fill(undefined),
        dirty: new Array(this.defs.length).fill(true),
      };
      block.entries.forEach((entry, index) => {
        entry.block = block;
        entry.index = index;
      });
      blocks.push(block);
    }
    for (const block of this.blocks) for (const family of block.families) if (family?.piece) family.piece.superseded = true;
    this.layout = entries;
    this.blocks = blocks;
    this.families.fill(undefined);
  }

  /** Rebuilds every dirty block family, then forgets the bytes held aside. */
  private rebuild(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const block of this.blocks) {
      for (let f = 0; f < this.defs.length; f++) {
        if (!block.dirty[f]) continue;
        const old = block.families[f]?.piece;
        block.families[f] = build(block, f);
        if (old) old.superseded = true;
        block.dirty[f] = false;
        this.families[f] = undefined;
        const p = block.families[f]!.piece;
        // Compressed now, in the background, so that the next gzip scrape finds it ready.
        if (p && this.gzipWanted) this.gzipLine.prefetch(p);
      }
    }
    // What is now in the blocks; an instance not laid out yet keeps its bytes for the next layout.
    for (const entry of this.pending) {
      if (!entry.block) continue;
      entry.pending = undefined;
      this.pending.delete(entry);
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.rebuild(), REBUILD_DELAY_MS);
    this.timer.unref();
  }
}

function encode(text: string): Buffer {
  return text === '' ? EMPTY : Buffer.from(text);
}

function build(block: Block, f: number): BlockFamily {
  const parts: Buffer[] = [];
  const offsets = new Uint32Array(block.entries.length + 1);
  let length = 0;
  const old = block.families[f];
  block.entries.forEach((entry, i) => {
    const bytes = entry.pending?.[f] ?? (old ? old.raw.subarray(old.offsets[i], old.offsets[i + 1]) : EMPTY);
    parts.push(bytes);
    length += bytes.length;
    offsets[i + 1] = length;
  });
  const raw = length === 0 ? EMPTY : Buffer.concat(parts, length);
  return length === 0 ? { raw, offsets } : { raw, offsets, piece: piece(raw) };
}
