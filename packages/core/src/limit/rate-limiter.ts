/**
 * The limiter contract that the crawl and the `rateLimit` operator use. Two implementations:
 * `MemoryLimiter` (one process, time from an RxJS scheduler, so marble tests see exact frames)
 * and `RedisLimiter` (every process on every machine, time from Redis).
 *
 * It is built on reservations rather than "try and poll": a remote store is asked once, answers
 * with the exact wait, and the caller sleeps that long once. That is what keeps a shared limit
 * at one round trip per permit and wastes none of the allowed rate.
 */

/** One permit, reserved. */
export type Reservation = {
  /** The limiter key the permit belongs to. */
  readonly key: string;
  /** How long to wait before using the permit, in ms, from when the store answered. */
  readonly waitMs: number;
  /** When the permit is granted, in ms on the limiter's own clock (Redis' clock for Redis). */
  readonly grantAt: number;
  /**
   * Gives the permit back when it will not be used (cancellation). A store returns what it can:
   * the newest reservation on a key, not one with later permits behind it.
   */
  release(): Promise<void>;
};

/** A rate limiter keyed by what is limited (an API and a credential, say). */
export type RateLimiter = {
  /** Reserves a permit without waiting for it. Synchronous for in-memory stores, so virtual time works. */
  reserve(key: string): Reservation | Promise<Reservation>;
  /**
   * Reserves a permit and resolves once it is granted, after exactly its wait.
   * @throws the signal's reason when aborted; the permit is released.
   */
  acquire(key: string, signal?: AbortSignal): Promise<Reservation>;
  /** Grants nothing on `key` for `durationMs` from now, to every caller (the API said 429). */
  pause(key: string, durationMs: number): void | Promise<void>;
  /** Frees connections and timers. */
  close(): Promise<void>;
};
