import { RollingWindowLimiter } from './rolling-window-limiter.js';

/** One layer of rate limits: a rolling window per token, or per token and route. */
export type RateLimitLayer = {
  /** Names the layer in `setRateLimit`, in the stats' `limited` and to the error wording. */
  readonly name: string;
  /** Requests allowed in any window of `windowMs`. */
  readonly limit: number;
  /** Length of the rolling window, in milliseconds. */
  readonly windowMs: number;
  /**
   * `principal`: one budget per token, shared by every route the layer covers (an account's
   * global limit); `route`: one budget per token and route (per-endpoint limits).
   * @default 'principal'
   */
  readonly per?: 'principal' | 'route';
  /**
   * The route names the layer covers; others pass it freely.
   * @default every route
   */
  readonly routes?: readonly string[];
};

/** Rate limits of an emulator: layers, a concurrency limit and how a 429 reads. */
export type RateLimitOptions = {
  /**
   * The layers. A request counts against every layer that covers it, and only if all of them
   * admit it: a request refused by one layer takes no slot in the others.
   * @default []
   */
  readonly layers?: readonly RateLimitLayer[];
  /**
   * Most requests of one token in flight at once (arrived, not yet answered), or none.
   * @default undefined
   */
  readonly concurrency?: number;
  /**
   * The `Retry-After` a concurrency 429 announces, in milliseconds.
   * @default 1000
   */
  readonly concurrencyRetryAfterMs?: number;
  /**
   * Headers describing the tightest layer on every answer the limits saw: `ratelimit` for
   * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF draft), `x-ratelimit`
   * for the `X-RateLimit-*` trio. `Reset` is in whole seconds from now, rounded up.
   * @default 'none'
   */
  readonly headers?: 'none' | 'ratelimit' | 'x-ratelimit';
  /**
   * Whether a 429 carries `Retry-After` (whole seconds, rounded up); `false` for an API that
   * answers a bare 429.
   * @default true
   */
  readonly retryAfter?: boolean;
  /**
   * Whether a 429 also carries `Retry-After-Ms` with the exact milliseconds.
   * @default false
   */
  readonly retryAfterMs?: boolean;
};

/** What {@link LayeredRateLimiter.admit} decided. */
export type AdmitDecision =
  | {
      readonly allowed: true;
      /** Frees the request's concurrency slot, once its answer is written; safe to call twice. */
      readonly release: () => void;
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly allowed: false;
      /** The layer that refused, or `concurrency`. */
      readonly limit: string;
      readonly retryAfterMs: number;
      readonly headers: Readonly<Record<string, string>>;
    };

type Layer = { readonly options: RateLimitLayer; readonly limiter: RollingWindowLimiter };

/**
 * Rolling-window layers and a concurrency limit, checked together when a request arrives:
 * every layer is probed first and the request is recorded in all of them only if all admit
 * it, so that a refusal costs no budget anywhere (the way Stripe counts a request against its
 * account limit and its endpoint limit). It reads no clock: the caller passes the time.
 *
 * @example
 * const limits = new LayeredRateLimiter({ layers: [
 *   { name: 'global', limit: 25, windowMs: 1000 },
 *   { name: 'endpoint', limit: 20, windowMs: 1000, per: 'route' },
 * ] });
 * limits.admit('sk_test', 'GET /v1/charges', 0).allowed; // true
 */
export class LayeredRateLimiter {
  readonly #layers = new Map<string, Layer>();
  readonly #options: RateLimitOptions;
  #concurrency: number | undefined;
  readonly #inFlight = new Map<string, number>();

  /**
   * @param options - See {@link RateLimitOptions}.
   * @throws {RangeError} for a limit out of range or two layers with one name.
   */
  constructor(options: RateLimitOptions = {}) {
    this.#options = options;
    for (const layer of options.layers ?? []) {
      if (this.#layers.has(layer.name) || layer.name === 'concurrency') {
        throw new RangeError(`Rate limit layer name ${layer.name} is taken.`);
      }
      const limiter = new RollingWindowLimiter({ limit: layer.limit, windowMs: layer.windowMs });
      this.#layers.set(layer.name, { options: layer, limiter });
    }
    this.#concurrency = checkConcurrency(options.concurrency);
  }

  /**
   * Admits a request by `principal` on `route` at `nowMs`, or says which limit refused it.
   *
   * @param principal - The token (whose budgets to charge).
   * @param route - The route's name.
   * @param nowMs - The current time in milliseconds, never before an earlier call's.
   * @returns The decision, with the headers to add to the answer.
   */
  admit(principal: string, route: string, nowMs: number): AdmitDecision {
    const layers = this.#covering(route);
    let refusal: { limit: string; retryAfterMs: number } | undefined;
    for (const { options, limiter } of layers) {
      const decision = limiter.probe(keyOf(options, principal, route), nowMs);
      if (!decision.allowed && decision.retryAfterMs > (refusal?.retryAfterMs ?? -1)) {
        refusal = { limit: options.name, retryAfterMs: decision.retryAfterMs };
      }
    }
    const inFlight = this.#inFlight.get(principal) ?? 0;
    if (refusal === undefined && this.#concurrency !== undefined && inFlight >= this.#concurrency) {
      refusal = { limit: 'concurrency', retryAfterMs: this.#options.concurrencyRetryAfterMs ?? 1000 };
    }
    if (refusal !== undefined)
      return { allowed: false, ...refusal, headers: this.#headers(layers, principal, route, nowMs) };

    for (const { options, limiter } of layers) limiter.record(keyOf(options, principal, route), nowMs);
    this.#inFlight.set(principal, inFlight + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(principal) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(principal);
      else this.#inFlight.set(principal, left);
    };
    return { allowed: true, release, headers: this.#headers(layers, principal, route, nowMs) };
  }

  /**
   * Changes a layer's limit or window (or the concurrency limit, as `concurrency`) from now on;
   * requests already in a window stay in it, so a lower limit binds at once.
   *
   * @param name - The layer's name, or `concurrency`.
   * @param limit - The new values; what is left out stays as it is.
   * @throws {RangeError} for an unknown layer or a value out of range.
   * @example limits.setRateLimit('global', { limit: 5 })
   */
  setRateLimit(name: string, limit: { readonly limit?: number; readonly windowMs?: number }): void {
    if (name === 'concurrency') {
      this.#concurrency = checkConcurrency(limit.limit ?? this.#concurrency);
      return;
    }
    const layer = this.#layers.get(name);
    if (layer === undefined) throw new RangeError(`No rate limit layer named ${name}.`);
    layer.limiter.setLimit(limit);
  }

  /** The headers of a 429 on top of the limit headers: `Retry-After` and `Retry-After-Ms`. */
  retryHeaders(retryAfterMs: number): Record<string, string> {
    const milliseconds = Math.max(0, Math.ceil(retryAfterMs));
    const headers: Record<string, string> = {};
    if (this.#options.retryAfter ?? true) {
      // RFC 9110 allows whole seconds only; rounding up never invites a request too early.
      headers['retry-after'] = String(Math.ceil(milliseconds / 1000));
      if (this.#options.retryAfterMs ?? false) headers['retry-after-ms'] = String(milliseconds);
    }
    return headers;
  }

  #covering(route: string): Layer[] {
    return [...this.#layers.values()].filter(
      ({ options }) => options.routes === undefined || options.routes.includes(route),
    );
  }

  /** The limit headers of the layer with the fewest free slots, when headers are asked for. */
  #headers(
    layers: readonly Layer[],
    principal: string,
    route: string,
    nowMs: number,
  ): Record<string, string> {
    const style = this.#options.headers ?? 'none';
    if (style === 'none') return {};
    let tightest: { limit: number; remaining: number; resetMs: number } | undefined;
    for (const { options, limiter } of layers) {
      const state = limiter.state(keyOf(options, principal, route), nowMs);
      if (tightest === undefined || state.remaining < tightest.remaining) {
        tightest = { limit: limiter.limit, ...state };
      }
    }
    if (tightest === undefined) return {};
    const prefix = style === 'ratelimit' ? 'ratelimit' : 'x-ratelimit';
    return {
      [`${prefix}-limit`]: String(tightest.limit),
      [`${prefix}-remaining`]: String(tightest.remaining),
      // Whole ms first: on performance.now()'s fractional clock, (t + window) − t may come out a
      // hair above the window, and a fresh 1 s window would announce a reset of 2 s.
      [`${prefix}-reset`]: String(Math.ceil(Math.round(tightest.resetMs) / 1000)),
    };
  }
}

function keyOf(layer: RateLimitLayer, principal: string, route: string): string {
  // A NUL cannot appear in a route name or, once decoded from a header, in a usable token.
  return (layer.per ?? 'principal') === 'route' ? `${principal}\u0000${route}` : principal;
}

function checkConcurrency(limit: number | undefined): number | undefined {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new RangeError(`concurrency must be a positive integer, got ${limit}.`);
  }
  return limit;
}
