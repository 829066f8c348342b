/**
 * Picks one item of a non-empty list, uniformly.
 *
 * @param random - A seeded generator such as `seededRandom` from `@capital/core/testing`.
 * @param items - The list to pick from; must not be empty.
 * @returns One of `items`.
 * @throws {RangeError} when `items` is empty.
 * @example pick(seededRandom(1), ['a', 'b']) // 'b'
 */
export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick() needs a non-empty list.');
  return item;
}
