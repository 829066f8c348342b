import type { EmulatorServerOptions, RollingWindowLimiterOptions } from '@capital/core/testing';
import { isLoopback, queryTokenAuth } from '@capital/core/testing';
import type { Listing } from './dataset.js';
import { generateListings } from './dataset.js';
import { wtdErrorResponse } from './emulator-response.js';
import type { FaultOptions } from './faults.js';
import { stockSearchRoute } from './stock-search.js';

/** Options of `startEmulator`, including the fault injection ones of {@link FaultOptions}. */
export type EmulatorOptions = FaultOptions & {
  /**
   * TCP port to listen on; 0 picks any free port (read it back from `url`).
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to listen on. Only loopback addresses are accepted (`127.x.x.x`, `::1`,
   * `localhost`): the emulator is a test fixture, not a service.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * API tokens the emulator accepts as `api_token`; any other is answered 401.
   * @default ['demo']
   */
  readonly tokens?: readonly string[];
  /**
   * The listings to search.
   * @default generateListings()
   */
  readonly dataset?: readonly Listing[];
  /**
   * Per-token rate limit, or `false` for none. Requests over it are answered 429 with
   * `Retry-After` (whole seconds, rounded up) and `Retry-After-Ms` (exact milliseconds).
   * @default { limit: 10, windowMs: 1000 }
   */
  readonly rateLimit?: RollingWindowLimiterOptions | false;
  /**
   * Rate-limit headers on every answer the limit saw: `ratelimit` for the IETF draft's
   * `RateLimit-Limit/Remaining/Reset`, `x-ratelimit` for `X-RateLimit-*`, `none` for an API
   * that states its limit nowhere (see the emulator kit's `RateLimitOptions.headers`).
   * @default 'none'
   */
  readonly rateLimitHeaders?: 'none' | 'ratelimit' | 'x-ratelimit';
  /**
   * Whether a 429 says `Retry-After` and `Retry-After-Ms`; `false` for an API that answers a bare 429.
   * @default true
   */
  readonly retryAfter?: boolean;
  /**
   * Largest page size. A larger `limit` is clamped to it, as the real API did (its maximum was
   * 50); the answer's `limit` field shows the size used. A missing `limit` also means `maxLimit`.
   * @default 50
   */
  readonly maxLimit?: number;
  /**
   * Clock for the rate limiter, in milliseconds; any clock that never goes backwards.
   * @default () => performance.now()
   */
  readonly now?: () => number;
};

/** {@link EmulatorOptions} with every default applied and every value checked. */
export type ResolvedEmulatorOptions = Required<Omit<EmulatorOptions, keyof FaultOptions>> & {
  readonly faults: Omit<FaultOptions, 'latencyMs'>;
  readonly latencyMs: number;
};

/**
 * Applies the defaults of {@link EmulatorOptions} once, where the options enter the emulator.
 *
 * @param options - What the caller gave.
 * @returns Every option, with defaults.
 * @throws {RangeError} when the host is not loopback, the port or `maxLimit` is out of range,
 * or `latencyMs` is negative. The fault rates are checked by the emulator kit.
 * @example resolveEmulatorOptions({}).maxLimit // 50
 */
export function resolveEmulatorOptions(options: EmulatorOptions): ResolvedEmulatorOptions {
  const {
    port = 0,
    host = '127.0.0.1',
    tokens = ['demo'],
    dataset,
    rateLimit = { limit: 10, windowMs: 1000 },
    rateLimitHeaders = 'none',
    retryAfter = true,
    maxLimit = 50,
    now = () => performance.now(),
    latencyMs = 0,
    ...faults
  } = options;
  if (!isLoopback(host)) throw new RangeError(`host must be a loopback address, got ${host}.`);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}.`);
  }
  if (!Number.isSafeInteger(maxLimit) || maxLimit < 1) {
    throw new RangeError(`maxLimit must be a positive integer, got ${maxLimit}.`);
  }
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new RangeError(`latencyMs must be a non-negative number, got ${latencyMs}.`);
  }
  return {
    port,
    host,
    tokens,
    dataset: dataset ?? generateListings(),
    rateLimit,
    rateLimitHeaders,
    retryAfter,
    maxLimit,
    now,
    faults,
    latencyMs,
  };
}

/**
 * The emulator kit's options for World Trading Data: one route, the token in `api_token`, one
 * rolling-window limit per token whose 429 also says `Retry-After-Ms`, and `{ "message": … }` errors.
 *
 * @param resolved - The resolved options.
 * @param statsPath - Where the stats are served.
 * @returns Options for `startEmulatorServer`.
 */
export function toServerOptions(resolved: ResolvedEmulatorOptions, statsPath: string): EmulatorServerOptions {
  const { rateLimit, faults } = resolved;
  const { seed, faultRate, malformedRate, burst429Rate, resetRate, burst429RetryAfterMs } = faults;
  return {
    routes: [stockSearchRoute(resolved.dataset, resolved.maxLimit)],
    auth: queryTokenAuth({ param: 'api_token', tokens: resolved.tokens }),
    rateLimits: {
      layers:
        rateLimit === false
          ? []
          : [{ name: 'token', limit: rateLimit.limit ?? 10, windowMs: rateLimit.windowMs ?? 1000 }],
      retryAfterMs: resolved.retryAfter,
      retryAfter: resolved.retryAfter,
      headers: resolved.rateLimitHeaders,
    },
    // Only the rates given: the kit refuses an explicit undefined as it refuses NaN.
    faults: {
      ...(faultRate === undefined ? {} : { faultRate }),
      ...(malformedRate === undefined ? {} : { malformedRate }),
      ...(burst429Rate === undefined ? {} : { burst429Rate }),
      ...(resetRate === undefined ? {} : { resetRate }),
      ...(burst429RetryAfterMs === undefined ? {} : { burst429RetryAfterMs }),
    },
    latencyMs: resolved.latencyMs,
    host: resolved.host,
    port: resolved.port,
    ...(seed === undefined ? {} : { seed }),
    now: resolved.now,
    errorResponse: wtdErrorResponse,
    statsPath,
    // The stats in this emulator's shape have no arrivals; keeping them would only grow.
    recordArrivals: false,
  };
}
