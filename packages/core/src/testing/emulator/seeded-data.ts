import { seededRandom } from '../synthetic-source.js';
import { pick } from './pick.js';

/** What {@link generateDataset} hands each record maker, all drawn from the dataset's seed. */
export type DatasetTools = {
  /** The seeded generator: numbers in `[0, 1)`. */
  readonly random: () => number;
  /** One item of a non-empty list, uniformly. */
  readonly pick: <T>(items: readonly T[]) => T;
  /** A whole number from `min` to `max`, both included. */
  readonly integer: (min: number, max: number) => number;
  /** A new id, unique in the dataset, e.g. `ch_3fK9aQ2xLm7TbV` for `id('ch_')`. */
  readonly id: (prefix: string) => string;
};

/** Options of {@link generateDataset}. */
export type GenerateDatasetOptions = {
  /** How many records to make. */
  readonly size: number;
  /**
   * Seed of the generator: the same seed and size always give the same records.
   * @default 1
   */
  readonly seed?: number;
};

/**
 * Makes a deterministic list of records: `make` is called for each index with tools drawing
 * from one seeded generator, so the whole dataset depends only on the seed and the size.
 *
 * @param options - Size and seed.
 * @param make - Makes the record at `index`.
 * @returns The records, in index order.
 * @throws {RangeError} when `size` is not a whole number.
 * @example
 * const charges = generateDataset({ size: 100, seed: 7 }, (index, { id, integer }) => ({
 *   id: id('ch_'), amount: integer(100, 99_999),
 * }));
 */
export function generateDataset<T>(
  options: GenerateDatasetOptions,
  make: (index: number, tools: DatasetTools) => T,
): T[] {
  const { size, seed = 1 } = options;
  if (!Number.isSafeInteger(size) || size < 0)
    throw new RangeError(`size must be a whole number, got ${size}.`);
  const random = seededRandom(seed);
  const tools: DatasetTools = {
    random,
    pick: (items) => pick(random, items),
    integer: (min, max) => min + Math.floor(random() * (max - min + 1)),
    id: createIdMinter(random),
  };
  return Array.from({ length: size }, (_, index) => make(index, tools));
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Mints ids such as Stripe's (`ch_` + 14 letters and digits), unique per minter: a drawn id
 * already minted is drawn again.
 *
 * @param random - A seeded generator such as `seededRandom(seed)`.
 * @param length - Characters after the prefix.
 * @returns A function from a prefix to a new id.
 * @throws {RangeError} when `length` is below 6, too short for ids to stay rare collisions.
 * @example createIdMinter(seededRandom(1))('cus_') // 'cus_' and 14 characters
 */
export function createIdMinter(random: () => number, length = 14): (prefix: string) => string {
  if (!Number.isSafeInteger(length) || length < 6)
    throw new RangeError(`id length must be 6 or more, got ${length}.`);
  const minted = new Set<string>();
  return (prefix) => {
    for (;;) {
      let id = prefix;
      for (let index = 0; index < length; index += 1) id += ALPHABET[Math.floor(random() * ALPHABET.length)];
      if (!minted.has(id)) {
        minted.add(id);
        return id;
      }
    }
  };
}

/** Options of {@link seededTimestamps}. */
export type SeededTimestampsOptions = {
  /** How many timestamps. */
  readonly count: number;
  /** The earliest, included. */
  readonly from: number;
  /** The latest, included; at least `from`. */
  readonly to: number;
  /**
   * Seed of the generator.
   * @default 1
   */
  readonly seed?: number;
};

/**
 * Deterministic whole-number timestamps (e.g. Unix seconds, as Stripe's `created`), spread
 * uniformly between `from` and `to` and sorted ascending; several may be equal, as real
 * timestamps are, which a cursor must survive.
 *
 * @param options - Count, range and seed.
 * @returns The timestamps, oldest first.
 * @throws {RangeError} for a count that is not a whole number or `to` before `from`.
 * @example seededTimestamps({ count: 3, from: 1_700_000_000, to: 1_700_086_400 })
 */
export function seededTimestamps(options: SeededTimestampsOptions): number[] {
  const { count, from, to, seed = 1 } = options;
  if (!Number.isSafeInteger(count) || count < 0)
    throw new RangeError(`count must be a whole number, got ${count}.`);
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from <= to)) {
    throw new RangeError(`from and to must be whole numbers with from <= to, got ${from} and ${to}.`);
  }
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => from + Math.floor(random() * (to - from + 1))).sort(
    (a, b) => a - b,
  );
}
