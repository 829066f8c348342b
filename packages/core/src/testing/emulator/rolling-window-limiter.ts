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
  #limit: number;
  #windowMs: number;
  /** Per token, the times of the requests still in the window, oldest first. */
  readonly #requests = new Map<string, number[]>();

  /**
   * @param options - Limit and window; see {@link RollingWindowLimiterOptions}.
   * @throws {RangeError} when `limit` is not a positive integer or `windowMs` not a positive number.
   */
  constructor(options: RollingWindowLimiterOptions = {}) {
    const { limit = 10, windowMs = 1000 } = options;
    this.#limit = checkLimit(limit);
    this.#windowMs = checkWindow(windowMs);
  }

  /** Requests allowed per token in any window. */
  get limit(): number {
    return this.#limit;
  }

  /** Length of the rolling window, in milliseconds. */
  get windowMs(): number {
    return this.#windowMs;
  }

  /**
   * Changes the limit and the window from now on, keeping the requests already in the window:
   * after a drop, a token over the new limit waits until enough of them have left it.
   *
   * @param options - The new limit and/or window; what is left out stays as it is.
   * @throws {RangeError} as the constructor does.
   * @example limiter.setLimit({ limit: 2 }) // the next check sees at most 2 per window
   */
  setLimit(options: RollingWindowLimiterOptions): void {
    const limit = checkLimit(options.limit ?? this.#limit);
    const windowMs = checkWindow(options.windowMs ?? this.#windowMs);
    this.#limit = limit;
    this.#windowMs = windowMs;
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
    const decision = this.probe(token, nowMs);
    if (decision.allowed) this.record(token, nowMs);
    return decision;
  }

  /**
   * Tells what {@link RollingWindowLimiter.check} would answer, without taking a slot: a request
   * that must pass several limiters asks each first and records in all only if all allow it.
   *
   * @param token - Whose budget to look at.
   * @param nowMs - The current time in milliseconds.
   * @returns The decision `check` would return.
   * @example limiter.probe('demo', 0).allowed // true, and the slot is still free
   */
  probe(token: string, nowMs: number): RateLimitDecision {
    const times = this.#inWindow(token, nowMs);
    // After a drop of the limit the window may hold more than it; a slot frees when all but
    // limit - 1 of them have left, i.e. when the request at index length - limit leaves.
    const freeing = times[times.length - this.#limit];
    if (times.length >= this.#limit && freeing !== undefined) {
      return { allowed: false, retryAfterMs: freeing + this.#windowMs - nowMs };
    }
    return { allowed: true };
  }

  /**
   * Takes a slot for `token` at `nowMs`, whether or not one is free; pair it with
   * {@link RollingWindowLimiter.probe}.
   *
   * @param token - Whose budget to charge.
   * @param nowMs - The current time in milliseconds, never before an earlier call's.
   * @example limiter.record('demo', 0)
   */
  record(token: string, nowMs: number): void {
    const times = this.#inWindow(token, nowMs);
    times.push(nowMs);
    this.#requests.set(token, times);
  }

  /**
   * How the token's window stands at `nowMs`, for `RateLimit-*` headers.
   *
   * @param token - Whose budget to look at.
   * @param nowMs - The current time in milliseconds.
   * @returns Free slots (never below 0) and the milliseconds until the oldest request leaves the
   * window (0 when it is empty).
   * @example limiter.state('demo', 0) // { remaining: 10, resetMs: 0 }
   */
  state(token: string, nowMs: number): { readonly remaining: number; readonly resetMs: number } {
    const times = this.#inWindow(token, nowMs);
    const oldest = times[0];
    return {
      remaining: Math.max(0, this.#limit - times.length),
      resetMs: oldest === undefined ? 0 : oldest + this.#windowMs - nowMs,
    };
  }

  /** Forgets every request, as if the limiter were new. */
  reset(): void {
    this.#requests.clear();
  }

  /** The token's request times still in the window at `nowMs`, older ones dropped. */
  #inWindow(token: string, nowMs: number): number[] {
    const times = this.#requests.get(token) ?? [];
    const firstInWindow = times.findIndex((time) => nowMs < time + this.#windowMs);
    if (firstInWindow === -1) times.length = 0;
    else if (firstInWindow > 0) times.splice(0, firstInWindow);
    return times;
  }
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`RollingWindowLimiter: limit must be a positive integer, got ${limit}.`);
  }
  return limit;
}

function checkWindow(windowMs: number): number {
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`RollingWindowLimiter: windowMs must be a positive number, got ${windowMs}.`);
  }
  return windowMs;
}
