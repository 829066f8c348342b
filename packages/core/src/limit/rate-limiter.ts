/**
 * The limiter contract that the crawl and the `rateLimit` operator use. Two implementations:
 * `MemoryLimiter` (one process, time from an RxJS scheduler, so marble tests see exact frames)
 * and `RedisLimiter` (every process on every machine, time from Redis).
 *
 * It is built on reservations rather than "try and poll": a remote store is asked once, answers
 * with the exact wait, and the caller sleeps that long once. That is what keeps a shared limit
 * at one round trip per permit and wastes none of the allowed rate.
 */

import type { LimiterKey } from './limiter-layers.js';
import type { ApiAnswer } from './rate-learning.js';

/** One permit, reserved. */
export type Reservation = {
  /** The limiter key the permit belongs to (for a layered key, its first layer's key). */
  readonly key: string;
  /** How long to wait before using the permit, in ms, from when the store answered. */
  readonly waitMs: number;
  /** When the permit is granted, in ms on the limiter's own clock (Redis' clock for Redis). */
  readonly grantAt: number;
  /**
   * How much longer a pause (a 429's `Retry-After`, set by any process sharing the key) holds
   * the key when the permit was reserved, in ms; absent or 0 when none does. Tells a wait the
   * API asked for from one the rate alone sets, so that only the first defers a run.
   */
  readonly pausedForMs?: number | undefined;
  /**
   * Gives the permit back when it will not be used (cancellation). Reservations on a key given
   * back together go back whatever the order; one with later permits behind it goes back once
   * those have gone back too. Calls after the first do nothing.
   */
  release(): Promise<void>;
  /**
   * Asked once the wait has passed, just before the permit is used: whether a pause (a 429)
   * that the limiter learnt of while the permit waited has voided it. `undefined` when the
   * permit holds; otherwise the permit is given back and a new reservation, after the pause,
   * takes its place: wait for it and recheck it in turn. Absent on limiters with no pauses.
   */
  recheck?(): Reservation | Promise<Reservation> | undefined;
};

/** A rate limiter keyed by what is limited (an API and a credential, say). */
export type RateLimiter = {
  /**
   * Reserves a permit without waiting for it. Synchronous for in-memory stores, so virtual time
   * works. A layered key takes the permit from every layer at once (see `LimiterLayer`).
   */
  reserve(key: LimiterKey): Reservation | Promise<Reservation>;
  /**
   * Reserves a permit and resolves once it is granted, after exactly its wait.
   * @throws the signal's reason when aborted; the permit is released.
   */
  acquire(key: LimiterKey, signal?: AbortSignal): Promise<Reservation>;
  /**
   * Grants nothing on `key` for `durationMs` from now, to every caller (the API said 429). For
   * a layered limit, `key` is one layer's key (see `pauseKeyOf`): permits of every layered key
   * that holds it wait too.
   */
  pause(key: string, durationMs: number): void | Promise<void>;
  /**
   * Told what the API answered a request on `key`, for limiters that learn the rate from it
   * (`RedisLimiter` or `MemoryLimiter` with `adaptive`); does nothing without. Absent on
   * limiters with a fixed rate.
   */
  learn?(key: string, answer: ApiAnswer): void | Promise<void>;
  /**
   * Every key's learnt rate, permits per second, as this process last heard it (empty without
   * `adaptive`), for progress lines. Absent on limiters with a fixed rate.
   */
  learntRates?(): ReadonlyMap<string, number>;
  /** Frees connections and timers. */
  close(): Promise<void>;
};
