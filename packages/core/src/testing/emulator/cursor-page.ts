/** Options of {@link cursorPage}. */
export type CursorPageOptions<T> = {
  /** Most items on the page; at least 1. */
  readonly limit: number;
  /** The page starts after the item with this id (Stripe's `starting_after`). */
  readonly startingAfter?: string | null | undefined;
  /** The page ends before the item with this id (Stripe's `ending_before`), when no `startingAfter`. */
  readonly endingBefore?: string | null | undefined;
  /** The id of an item, unique in the list. */
  readonly idOf: (item: T) => string;
};

/** One page of a cursor list, or why the cursor is not usable. */
export type CursorPageResult<T> =
  | {
      readonly ok: true;
      readonly data: readonly T[];
      /** Whether more items lie beyond the page, in the direction it was asked for. */
      readonly hasMore: boolean;
    }
  /** The cursor names no item of the list: an API answers 400 or 404, never an empty page. */
  | { readonly ok: false; readonly reason: 'unknown-cursor' };

/** Id → position, per list and id function, so that paging through a long list stays linear. */
const positions = new WeakMap<readonly unknown[], Map<string, number>>();

/**
 * Cuts one page out of a list by cursor, as Stripe-like list endpoints do: items in list order
 * (newest first for Stripe), `startingAfter` for the next page, `endingBefore` for the previous
 * one (the `limit` items just before the cursor).
 *
 * @param items - The whole list, in the order the API lists it. Positions are cached per list:
 *   do not mutate it afterwards, and use one `idOf` per list.
 * @param options - Limit, cursor and id function; see {@link CursorPageOptions}.
 * @returns The page and whether more lie beyond it, or `unknown-cursor`.
 * @throws {RangeError} when `limit` is not a positive integer.
 * @example
 * cursorPage(['a', 'b', 'c'], { limit: 2, startingAfter: 'a', idOf: (id) => id });
 * // { ok: true, data: ['b', 'c'], hasMore: false }
 */
export function cursorPage<T>(items: readonly T[], options: CursorPageOptions<T>): CursorPageResult<T> {
  const { limit, startingAfter, endingBefore, idOf } = options;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}.`);
  const cursor = startingAfter ?? endingBefore;
  if (cursor === undefined || cursor === null) {
    return { ok: true, data: items.slice(0, limit), hasMore: items.length > limit };
  }
  const at = positionsOf(items, idOf).get(cursor);
  if (at === undefined) return { ok: false, reason: 'unknown-cursor' };
  if (startingAfter !== undefined && startingAfter !== null) {
    return { ok: true, data: items.slice(at + 1, at + 1 + limit), hasMore: at + 1 + limit < items.length };
  }
  const start = Math.max(0, at - limit);
  return { ok: true, data: items.slice(start, at), hasMore: start > 0 };
}

function positionsOf<T>(items: readonly T[], idOf: (item: T) => string): Map<string, number> {
  let known = positions.get(items);
  if (known === undefined) {
    known = new Map(items.map((item, index) => [idOf(item), index]));
    positions.set(items, known);
  }
  return known;
}
