import { ChunkLayout } from '../digest/chunk-layout.js';
import { digestOfHex } from '../digest/digest-of.js';
import { DigestTable } from '../digest/digest-table.js';

/**
 * The task keys a crawl has admitted, as 16-byte digests (the first 128 bits of each SHA-256
 * key) in flat typed arrays, with the sequence number of each key's parent, so that a cycle can
 * be found by walking up a chain without keeping any task or frontier entry alive.
 *
 * Per key: 16 bytes of digest, 8 of parent sequence number and 8–16 of index: 32–40 bytes,
 * against ~100 for a `Set` of 64-character strings. Every array is chunked (see
 * {@link DigestTable}): growing copies nothing large, so it never stalls the event loop.
 * Two different keys sharing 128 bits is a 2⁻⁶⁴ chance at four billion keys.
 *
 * With `maxKeys`, memory is bounded: keys live in two generations of `maxKeys / 2`; when the
 * newer fills up, the older is forgotten. So at least the last `maxKeys / 2` and at most the last
 * `maxKeys` keys are remembered.
 */
export class SeenKeys {
  readonly #generationSize: number;
  #current: Generation;
  #older: Generation | undefined;
  #next = 0;

  /** @param maxKeys the most keys remembered; `Infinity` remembers every key. */
  constructor(maxKeys: number) {
    this.#generationSize = Number.isFinite(maxKeys) ? Math.max(1, Math.ceil(maxKeys / 2)) : Infinity;
    this.#current = new Generation(0, this.#generationSize);
  }

  /** The sequence number of `key` when it is remembered, else -1. */
  find(key: string): number {
    const digest = digestOfHex(key);
    const found = this.#current.find(digest);
    if (found >= 0 || this.#older === undefined) return found;
    return this.#older.find(digest);
  }

  /** Remembers `key` (known not to be remembered), child of `parent` (-1 for a seed); its sequence number. */
  add(key: string, parent: number): number {
    if (this.#current.count >= this.#generationSize) {
      this.#older = this.#current;
      this.#current = new Generation(this.#next, this.#generationSize);
    }
    this.#current.add(digestOfHex(key), parent);
    const sequence = this.#next;
    this.#next += 1;
    return sequence;
  }

  /** The parent of key number `sequence`: -1 for a seed or a key forgotten. */
  parentOf(sequence: number): number {
    if (sequence >= this.#current.base) return this.#current.parentAt(sequence - this.#current.base);
    const older = this.#older;
    if (older !== undefined && sequence >= older.base) return older.parentAt(sequence - older.base);
    return -1;
  }

  /**
   * Whether key number `ancestor` is `sequence` or one of its ancestors. Ancestors are admitted
   * before their descendants, so the walk stops as soon as it passes below `ancestor`: a
   * duplicate of a sibling costs a step or two, not the chain's depth.
   */
  isAncestorOrSelf(ancestor: number, sequence: number): boolean {
    for (let node = sequence; node >= ancestor; node = this.parentOf(node)) {
      if (node === ancestor) return true;
    }
    return false;
  }
}

/** Keys in insertion order (their digests and parents), and an index of them. */
class Generation {
  readonly base: number;
  readonly #table: DigestTable;
  readonly #parents: Float64Array[] = [];
  readonly #layout: ChunkLayout;

  constructor(base: number, maxCount: number) {
    this.base = base;
    this.#table = new DigestTable(maxCount);
    this.#layout = new ChunkLayout(Math.min(maxParentChunkBits, Math.ceil(Math.log2(Math.max(1, maxCount)))));
  }

  get count(): number {
    return this.#table.count;
  }

  find(digest: Uint32Array): number {
    const found = this.#table.find(digest);
    return found < 0 ? -1 : this.base + found;
  }

  add(digest: Uint32Array, parent: number): void {
    const number = this.#table.add(digest);
    // Parents in chunks too: appending never copies what is there.
    const opened = this.#layout.opens(number);
    if (opened > 0) this.#parents.push(new Float64Array(opened));
    (this.#parents[this.#layout.chunkOf(number)] as Float64Array)[this.#layout.offsetOf(number)] = parent;
  }

  parentAt(index: number): number {
    if (index >= this.#table.count) return -1;
    return (this.#parents[this.#layout.chunkOf(index)] as Float64Array)[
      this.#layout.offsetOf(index)
    ] as number;
  }
}

/** Small chunks of at most 4,096 parents (32 KB), as the digests'. */
const maxParentChunkBits = 12;
