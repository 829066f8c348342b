/**
 * Where a crawl remembers the tasks it has run when they do not fit in one process (see
 * `RedisSeenKeys`). The crawl asks in batches, one round trip for up to a few hundred tasks.
 */
export type SeenKeysStore = {
  /**
   * Claims task keys (`taskKey`s): for each, `true` when no one had claimed it (it is claimed
   * now, and must run), `false` when it was claimed before (a duplicate). Atomic per key: two
   * crawls sharing the store never both get `true` for one key.
   */
  claim(keys: readonly string[]): Promise<readonly boolean[]>;
};

/** Whether a `dedupe` option is a store (anything with a `claim` method). */
export function isSeenKeysStore(value: unknown): value is SeenKeysStore {
  return typeof value === 'object' && value !== null && typeof (value as SeenKeysStore).claim === 'function';
}
