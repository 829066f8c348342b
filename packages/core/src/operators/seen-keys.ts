/**
 * The task keys a crawl has admitted, as 16-byte digests (the first 128 bits of each SHA-256
 * key) in flat typed arrays, with the sequence number of each key's parent, so that a cycle can
 * be found by walking up a chain without keeping any task or frontier entry alive.
 *
 * Per key: 16 bytes of digest, 8 of parent sequence number and 8 of open-addressing index (kept
 * at most half full): about 32 bytes, against ~100 for a `Set` of 64-character strings.
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
    this.#current = new Generation(0, Math.min(1024, this.#generationSize));
  }

  /** The sequence number of `key` when it is remembered, else -1. */
  find(key: string): number {
    const digest = digestOf(key);
    const found = this.#current.find(digest);
    if (found >= 0 || this.#older === undefined) return found;
    return this.#older.find(digest);
  }

  /** Remembers `key` (known not to be remembered), child of `parent` (-1 for a seed); its sequence number. */
  add(key: string, parent: number): number {
    if (this.#current.count >= this.#generationSize) {
      this.#older = this.#current;
      this.#current = new Generation(this.#next, Math.min(1024, this.#generationSize));
    }
    this.#current.add(digestOf(key), parent, this.#generationSize);
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

const scratch = new Uint32Array(4);

/** The first 128 bits of a hex key as four words (into a shared scratch array: read at once). */
function digestOf(key: string): Uint32Array {
  for (let word = 0; word < 4; word += 1) {
    let value = 0;
    for (let index = word * 8; index < word * 8 + 8; index += 1) {
      const code = key.charCodeAt(index);
      // '0'–'9' → 0–9, 'a'–'f' → 10–15; anything else (a key that is not hex) still mixes in.
      value = (value << 4) | (code <= 57 ? code - 48 : code - 87);
    }
    scratch[word] = value;
  }
  // A short or non-hex key would collide with others: fold the whole string into the last word.
  if (key.length !== 64) scratch[3] = (scratch[3] as number) ^ hashString(key);
  return scratch;
}

function hashString(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index += 1)
    hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
  return hash >>> 0;
}

/** Keys in insertion order, and an open-addressing index of them. */
class Generation {
  readonly base: number;
  count = 0;
  #digests: Uint32Array;
  #parents: Float64Array;
  #slots: Int32Array;

  constructor(base: number, capacity: number) {
    this.base = base;
    this.#digests = new Uint32Array(capacity * 4);
    this.#parents = new Float64Array(capacity);
    this.#slots = new Int32Array(slotCount(capacity));
  }

  find(digest: Uint32Array): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const digests = this.#digests;
    for (let slot = (digest[0] as number) & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot] as number;
      if (entry === 0) return -1;
      const at = (entry - 1) * 4;
      if (
        digests[at] === digest[0] &&
        digests[at + 1] === digest[1] &&
        digests[at + 2] === digest[2] &&
        digests[at + 3] === digest[3]
      ) {
        return this.base + entry - 1;
      }
    }
  }

  add(digest: Uint32Array, parent: number, maxCount: number): void {
    if (this.count === this.#parents.length) this.#grow(maxCount);
    this.#digests.set(digest, this.count * 4);
    this.#parents[this.count] = parent;
    this.count += 1;
    this.#index(this.count);
  }

  parentAt(index: number): number {
    return index < this.count ? (this.#parents[index] as number) : -1;
  }

  #index(entry: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = (this.#digests[(entry - 1) * 4] as number) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = entry;
  }

  #grow(maxCount: number): void {
    const capacity = Math.min(this.#parents.length * 2, maxCount);
    const digests = new Uint32Array(capacity * 4);
    digests.set(this.#digests);
    this.#digests = digests;
    const parents = new Float64Array(capacity);
    parents.set(this.#parents);
    this.#parents = parents;
    this.#slots = new Int32Array(slotCount(capacity));
    for (let entry = 1; entry <= this.count; entry += 1) this.#index(entry);
  }
}

/** A power of two at least twice the capacity, so the index stays at most half full and probes short. */
function slotCount(capacity: number): number {
  let size = 2;
  while (size < capacity * 2) size *= 2;
  return size;
}
