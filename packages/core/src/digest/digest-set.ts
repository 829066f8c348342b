import { DigestTable } from './digest-table.js';

/** Options of {@link DigestSet}. */
export type DigestSetOptions = {
  /**
   * The most slots of the flat phase (a power of two, at least 16): past 0.7 of them the set
   * moves into a {@link DigestTable}. Small only in tests, to reach the move with few digests.
   * @default 131072 (2 MB of slots, 91,750 digests)
   */
  readonly flatSlots?: number | undefined;
  /**
   * The digests it is expected to hold (a page's stated total), to be sized for at once rather
   * than doubled up to them; heeded up to 8,192 slots (128 KB), as it may come from a hostile API.
   * @default 0
   */
  readonly expected?: number | undefined;
};

/**
 * A set of 128-bit digests (keyed SipHash or SHA-256 outputs, so uniform whatever the keys) whose
 * lookups stay cheap when the CPU caches are cold, as between two pages of a real run.
 *
 * While small, one flat `Uint32Array`: open addressing, linear probing, each slot the digest's
 * four words inline, at most 0.7 full, doubled when fuller. A lookup touches that one array and,
 * mostly, one cache line (four slots a 64-byte line), where a {@link DigestTable} touches its
 * shard list, a shard's index, the chunk list and a chunk: 4–5 misses a key when cold.
 * Memory: 16 bytes a slot, so 23–46 bytes a digest (load 0.35–0.7) once past the first 16 KB
 * (128 KB at most when sized for a stated count), 2 MB at most by default,
 * 3 MB while the last doubling holds both arrays (and 2 MB besides the table while it moves).
 *
 * Past 0.7 of `flatSlots` new digests go into a {@link DigestTable} (24–32 bytes a digest), whose
 * growth never copies much, so a run of ten million keys never pauses the event loop. The flat
 * array's digests follow them a few slots an add (it is looked in until it is empty), not all at
 * once: re-adding 91,750 digests to a table that grows its shards meanwhile took ~26 ms. The
 * longest pause is then the last doubling, which re-places 45,875 (~1 ms; see
 * bench/digest-set-move.mjs).
 *
 * The all-zero digest would read as an empty slot: it is kept aside, as a flag.
 */
export class DigestSet {
  /** The digests held. */
  count = 0;
  readonly #flatSlots: number;
  #slots: Uint32Array;
  #mask: number;
  /** The count past which the flat array grows, or the move begins. */
  #limit: number;
  #hasZero = false;
  /** Where digests go once the move has begun. */
  #table: DigestTable | undefined;
  /** The flat array's slots already moved into the table (all of them: the array is let go). */
  #moved = 0;

  constructor(options: DigestSetOptions = {}) {
    const flatSlots = options.flatSlots ?? defaultFlatSlots;
    if (!(Number.isInteger(Math.log2(flatSlots)) && flatSlots >= initialSlots)) {
      throw new RangeError(`flatSlots must be a power of two, at least ${initialSlots}: ${flatSlots}`);
    }
    this.#flatSlots = flatSlots;
    const expected = Math.min(options.expected ?? 0, loadLimit(Math.min(flatSlots, presizeSlots)));
    let size = Math.min(firstSlots, flatSlots);
    while (loadLimit(size) < expected) size *= 2;
    this.#slots = new Uint32Array(size * 4);
    this.#mask = size - 1;
    this.#limit = loadLimit(size);
  }

  /** Whether the digest in `words` at `at` (four words) is in the set. */
  has(words: Uint32Array, at = 0): boolean {
    const w0 = words[at] as number;
    const w1 = words[at + 1] as number;
    const w2 = words[at + 2] as number;
    const w3 = words[at + 3] as number;
    if ((w0 | w1 | w2 | w3) === 0) return this.#hasZero;
    if (this.#table !== undefined && this.#table.find(copied(w0, w1, w2, w3)) >= 0) return true;
    const slots = this.#slots;
    if (slots.length === 0) return false;
    const mask = this.#mask;
    for (let slot = w0 & mask; ; slot = (slot + 1) & mask) {
      const base = slot * 4;
      const s0 = slots[base] as number;
      const s1 = slots[base + 1] as number;
      const s2 = slots[base + 2] as number;
      const s3 = slots[base + 3] as number;
      if (s0 === w0 && s1 === w1 && s2 === w2 && s3 === w3) return true;
      if ((s0 | s1 | s2 | s3) === 0) return false;
    }
  }

  /** Adds the digest in `words` at `at`, known not to be in the set. */
  add(words: Uint32Array, at = 0): void {
    const w0 = words[at] as number;
    const w1 = words[at + 1] as number;
    const w2 = words[at + 2] as number;
    const w3 = words[at + 3] as number;
    this.count += 1;
    if ((w0 | w1 | w2 | w3) === 0) {
      this.#hasZero = true;
      return;
    }
    if (this.#table === undefined && this.count > this.#limit) {
      if (this.#slots.length / 4 < this.#flatSlots) this.#double();
      else this.#table = new DigestTable();
    }
    if (this.#table === undefined) {
      place(this.#slots, this.#mask, w0, w1, w2, w3);
      return;
    }
    this.#table.add(copied(w0, w1, w2, w3));
    if (this.#slots.length > 0) this.#moveSome(this.#table);
  }

  #double(): void {
    const old = this.#slots;
    const size = (old.length / 4) * 2;
    const slots = new Uint32Array(size * 4);
    const mask = size - 1;
    for (let base = 0; base < old.length; base += 4) {
      const s0 = old[base] as number;
      const s1 = old[base + 1] as number;
      const s2 = old[base + 2] as number;
      const s3 = old[base + 3] as number;
      if ((s0 | s1 | s2 | s3) !== 0) place(slots, mask, s0, s1, s2, s3);
    }
    this.#slots = slots;
    this.#mask = mask;
    this.#limit = loadLimit(size);
  }

  /**
   * The next {@link moveSlots} slots' digests into the table. They stay in the flat array too,
   * which lookups still read, until the last slot is moved and the array let go: a digest is
   * always in one or both, and never added twice to the table (`add` takes only new digests).
   */
  #moveSome(table: DigestTable): void {
    const slots = this.#slots;
    const end = Math.min(slots.length, this.#moved + moveSlots * 4);
    for (let base = this.#moved; base < end; base += 4) {
      const s0 = slots[base] as number;
      const s1 = slots[base + 1] as number;
      const s2 = slots[base + 2] as number;
      const s3 = slots[base + 3] as number;
      if ((s0 | s1 | s2 | s3) !== 0) table.add(copied(s0, s1, s2, s3));
    }
    this.#moved = end;
    if (end === slots.length) this.#slots = new Uint32Array(0);
  }
}

/** The fewest flat slots (tests' sets). */
const initialSlots = 16;
/**
 * Slots a set starts with when told of no count (16 KB): room for 716 digests in one array, a
 * few doublings to a few thousand.
 */
const firstSlots = 1024;
const defaultFlatSlots = 1 << 17;
/** The most slots a set is sized for up front (128 KB, 5,734 digests). */
const presizeSlots = 1 << 13;
/**
 * Flat slots moved into the table an add: 131,072 slots (91,750 digests) in 16,384 adds, about
 * 6 table adds (~2 µs) each.
 */
const moveSlots = 8;

/** At most 0.7 full: linear probing's expected probes for a miss are then ~6 slots, 1.5 cache lines. */
function loadLimit(slots: number): number {
  return Math.floor(slots * 0.7);
}

function place(slots: Uint32Array, mask: number, w0: number, w1: number, w2: number, w3: number): void {
  let slot = w0 & mask;
  while (
    ((slots[slot * 4] as number) |
      (slots[slot * 4 + 1] as number) |
      (slots[slot * 4 + 2] as number) |
      (slots[slot * 4 + 3] as number)) !==
    0
  ) {
    slot = (slot + 1) & mask;
  }
  const base = slot * 4;
  slots[base] = w0;
  slots[base + 1] = w1;
  slots[base + 2] = w2;
  slots[base + 3] = w3;
}

const scratch = new Uint32Array(4);

/** Four words in a shared scratch array, for a {@link DigestTable}: read it at once. */
function copied(w0: number, w1: number, w2: number, w3: number): Uint32Array {
  scratch[0] = w0;
  scratch[1] = w1;
  scratch[2] = w2;
  scratch[3] = w3;
  return scratch;
}
