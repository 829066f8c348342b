/** Options of {@link RollingWindowLimiter}. */
export type RollingWindowLimiterOptions = {
  /**
   * Requests allowed per token in any window of `windowMs` milliseconds.
   * @default 10
   */
  readonly limit?: number;
  /**
   * Length of the rolling window, in milliseconds.
   * @default 1000
   */
  readonly windowMs?: number;
};

/** The answer of {@link RollingWindowLimiter.check}. */
export type RateLimitDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** Milliseconds until the oldest request in the window leaves it, freeing one slot. */
      readonly retryAfterMs: number;
    };

/**
 * Allows each token at most `limit` requests in any rolling window of `windowMs` milliseconds.
 * It does no I/O and reads no clock: the caller passes the time, so tests can use a fake one.
 *
 * A request made at `t` occupies a slot while `now < t + windowMs`. Denied requests take no slot,
 * so a client that keeps retrying too early is not punished beyond the limit itself.
 *
 * ```text
 * limit 3, window 1000 ms
 * t(ms)   0    100  200  300 ............ 1000 1001
 *         ok   ok   ok   denied           ok   denied
 *                        retryAfterMs=700      retryAfterMs=99
 * ```
 *
 * @example
 * const limiter = new RollingWindowLimiter({ limit: 10, windowMs: 1000 });
 * limiter.check('demo', performance.now()); // { allowed: true }
 */
export class RollingWindowLimiter {
  readonly limit: number;
  readonly windowMs: number;
  /** Per token, the times of the requests still in the window, oldest first. */
  readonly #requests = new Map<string, number[]>();

  /**
   * @param options - Limit and window; see {@link RollingWindowLimiterOptions}.
   * @throws {RangeError} when `limit` is not a positive integer or `windowMs` not a positive number.
   */
  constructor(options: RollingWindowLimiterOptions = {}) {
    const { limit = 10, windowMs = 1000 } = options;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`RollingWindowLimiter: limit must be a positive integer, got ${limit}.`);
    }
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new RangeError(`RollingWindowLimiter: windowMs must be a positive number, got ${windowMs}.`);
    }
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /**
   * Records a request by `token` at `nowMs`, if the token has a free slot.
   *
   * @param token - Whose budget to charge, e.g. an API token.
   * @param nowMs - The current time in milliseconds, from any clock that never goes backwards.
   * @returns `{ allowed: true }`, or `{ allowed: false, retryAfterMs }` where `retryAfterMs` is
   * exactly when the oldest request in the window leaves it.
   * @example limiter.check('demo', 0) // { allowed: true }
   */
  check(token: string, nowMs: number): RateLimitDecision {
    const times = this.#requests.get(token) ?? [];
    const firstInWindow = times.findIndex((time) => nowMs < time + this.windowMs);
    if (firstInWindow === -1) times.length = 0;
    else if (firstInWindow > 0) times.splice(0, firstInWindow);
    const oldest = times[0];
    if (times.length >= this.limit && oldest !== undefined) {
      return { allowed: false, retryAfterMs: oldest + this.windowMs - nowMs };
    }
    times.push(nowMs);
    this.#requests.set(token, times);
    return { allowed: true };
  }

  /** Forgets every request, as if the limiter were new. */
  reset(): void {
    this.#requests.clear();
  }
}
