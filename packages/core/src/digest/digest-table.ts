import { ChunkLayout } from './chunk-layout.js';

/**
 * A set of 128-bit digests, each given a number in insertion order (0, 1, 2 …), in flat typed
 * arrays that never move once written, so that growing never pauses the event loop:
 *
 * - digests in chunks (4,096 entries, 65,536 after the first 16; see {@link ChunkLayout}): a new
 *   chunk is allocated, nothing is copied;
 * - the index (open addressing, at most half full) split into 256 shards picked by a digest's
 *   high bits, each growing on its own: a grow re-indexes 1/256 of the keys (≈ 40,000 at ten
 *   million), a millisecond, where one table re-indexed them all (85 ms at 500,000 keys).
 *
 * About 16 bytes of digest and 8–16 of index per key. Digests are SHA-256 prefixes or keyed
 * SipHash outputs (`digestOfText`, `digestOfKey`), so the shards stay balanced and probes short
 * whatever the keys.
 */
export class DigestTable {
  count = 0;
  readonly #chunks: Uint32Array[] = [];
  readonly #shards: Int32Array[];
  readonly #firstSlots: number;
  readonly #shardCounts: Int32Array;
  readonly #shardShift: number;
  readonly #layout: ChunkLayout;

  /**
   * @param maxCount the most digests it will hold, when known: a small table (a short window of
   *   keys) gets small chunks and fewer shards, so that making one costs little.
   */
  constructor(maxCount = Infinity) {
    const bits = Math.max(0, Math.ceil(Math.log2(Math.max(1, maxCount))));
    this.#layout = new ChunkLayout(Math.min(maxChunkBits, bits));
    // Up to 256 shards, about one per 64 keys for a small table.
    const shardBits = Math.min(maxShardBits, Math.max(0, bits - 6));
    this.#shardShift = 32 - shardBits;
    this.#shardCounts = new Int32Array(1 << shardBits);
    // Room for the first ~1,000 keys (or all of a small table) without a grow, as one table had.
    let slots = minSlots;
    while (slots << shardBits < Math.min(maxCount, 1024) * 2) slots *= 2;
    this.#firstSlots = slots;
    // Each shard's index is made by its first key: a crawl of a few pages touches few of the
    // 256, and making them all cost more than the crawl's other set-up.
    this.#shards = new Array<Int32Array>(1 << shardBits).fill(unmadeShard);
  }

  /** The number of `digest` when it is in the table, else -1. */
  find(digest: Uint32Array): number {
    const slots = this.#shards[this.#shardOf(digest)] as Int32Array;
    const mask = slots.length - 1;
    for (let slot = (digest[0] as number) & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot] as number;
      if (entry === 0) return -1;
      const number = entry - 1;
      const chunk = this.#chunks[this.#layout.chunkOf(number)] as Uint32Array;
      const at = this.#layout.offsetOf(number) * 4;
      if (
        chunk[at] === digest[0] &&
        chunk[at + 1] === digest[1] &&
        chunk[at + 2] === digest[2] &&
        chunk[at + 3] === digest[3]
      ) {
        return number;
      }
    }
  }

  /** Adds `digest` (known not to be in the table); its number. */
  add(digest: Uint32Array): number {
    const number = this.count;
    const opened = this.#layout.opens(number);
    if (opened > 0) this.#chunks.push(new Uint32Array(opened * 4));
    // Four stores, not `set`: a builtin call costs more than the copy.
    const chunk = this.#chunks[this.#layout.chunkOf(number)] as Uint32Array;
    const at = this.#layout.offsetOf(number) * 4;
    chunk[at] = digest[0] as number;
    chunk[at + 1] = digest[1] as number;
    chunk[at + 2] = digest[2] as number;
    chunk[at + 3] = digest[3] as number;
    this.count += 1;
    const shard = this.#shardOf(digest);
    const filled = (this.#shardCounts[shard] as number) + 1;
    this.#shardCounts[shard] = filled;
    let slots = this.#shards[shard] as Int32Array;
    if (filled * 2 > slots.length) {
      slots = this.#regrow(slots);
      this.#shards[shard] = slots;
    }
    place(slots, digest[0] as number, number + 1);
    return number;
  }

  /** The shard: the top bits of the second word (the slot comes from the first, so the two are independent). */
  #shardOf(digest: Uint32Array): number {
    return this.#shardShift === 32 ? 0 : (digest[1] as number) >>> this.#shardShift;
  }

  /**
   * A shard's first index, or its index twice the size (at least {@link firstGrowSlots}), its
   * entries placed anew.
   * The first grow goes straight to 64 slots: a run of a few thousand keys then grows each
   * shard once, not three times (768 typed arrays made and dropped, ~7 µs a page of 50 keys).
   */
  #regrow(old: Int32Array): Int32Array {
    if (old === unmadeShard) return new Int32Array(this.#firstSlots);
    const slots = new Int32Array(Math.max(old.length * 2, firstGrowSlots));
    for (const entry of old) {
      if (entry === 0) continue;
      const number = entry - 1;
      const chunk = this.#chunks[this.#layout.chunkOf(number)] as Uint32Array;
      place(slots, chunk[this.#layout.offsetOf(number) * 4] as number, entry);
    }
    return slots;
  }
}

/**
 * The index of a shard with no key yet, shared and never written: every lookup in it misses at
 * once, and the first key added makes the shard its own (one key in one slot is over half full).
 */
const unmadeShard = new Int32Array(1);
const maxShardBits = 8;
const minSlots = 8;
const firstGrowSlots = 64;
/** Small chunks of at most 4,096 entries: 64 KB of digests, quick to allocate for a short crawl. */
const maxChunkBits = 12;

function place(slots: Int32Array, firstWord: number, entry: number): void {
  const mask = slots.length - 1;
  let slot = firstWord & mask;
  while (slots[slot] !== 0) slot = (slot + 1) & mask;
  slots[slot] = entry;
}
