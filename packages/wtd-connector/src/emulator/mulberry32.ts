/**
 * A seeded pseudo-random number generator: mulberry32, a 32-bit generator small enough to read
 * at a glance and good enough for test data. The emulator never calls `Math.random`, so a seed
 * fixes every listing and every injected fault.
 *
 * @param seed - Any number; only its low 32 bits matter.
 * @returns A function giving the next number in `[0, 1)` on each call.
 * @example
 * const random = mulberry32(1);
 * random(); // 0.6270739405881613, on every machine
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Picks one item of a non-empty list, uniformly.
 *
 * @param random - A generator such as {@link mulberry32}.
 * @param items - The list to pick from; must not be empty.
 * @returns One of `items`.
 * @throws {RangeError} when `items` is empty.
 * @example pick(mulberry32(1), ['a', 'b']) // 'b'
 */
export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick() needs a non-empty list.');
  return item;
}
