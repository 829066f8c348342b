import type { Authenticator } from './auth.js';
import type { ErrorResponder } from './emulator-error.js';
import { defaultErrorResponse } from './emulator-error.js';
import type { EmulatorServerStats } from './emulator-stats.js';
import type { FaultOptions } from './faults.js';
import { checkLatency } from './faults.js';
import type { RateLimitOptions } from './rate-limits.js';
import type { Route } from './route-table.js';

/** Options of `startEmulatorServer`. */
export type EmulatorServerOptions = {
  /** The API's routes: method, path pattern and handler. */
  readonly routes: readonly Route[];
  /**
   * The token check of every route that does not opt out (`auth: false`), e.g. `queryTokenAuth`
   * or `bearerAuth`; none when left out.
   * @default undefined
   */
  readonly auth?: Authenticator;
  /**
   * Rate limit layers, concurrency limit and 429 headers. Requests without a token share the
   * budget of the principal `(anonymous)`.
   * @default {} (no limits; a 429 carries `Retry-After`)
   */
  readonly rateLimits?: RateLimitOptions;
  /**
   * Faults injected into good answers, drawn from `seed`.
   * @default {}
   */
  readonly faults?: FaultOptions;
  /**
   * Delay before every answer but the stats, in milliseconds.
   * @default 0
   */
  readonly latencyMs?: number;
  /**
   * Interface to listen on. Only loopback addresses are accepted (`127.x.x.x`, `::1`,
   * `localhost`): an emulator is a test fixture, not a service.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * TCP port; 0 picks a free one (read it back from `url`).
   * @default 0
   */
  readonly port?: number;
  /**
   * Seed of the fault generators: the same seed gives the same faults in the same order.
   * @default 1
   */
  readonly seed?: number;
  /**
   * Clock of the rate limits and arrivals, in milliseconds; any clock that never goes backwards.
   * @default () => performance.now()
   */
  readonly now?: () => number;
  /**
   * Words the errors the kit answers itself (404, 405, 401, 429, injected JSON 5xx) in the API's
   * own shape.
   * @default defaultErrorResponse — `{ "error": { "code", "message" } }`
   */
  readonly errorResponse?: ErrorResponder;
  /**
   * Path that serves the stats as JSON, without a token and without being counted, for tests in
   * another process; `false` for none.
   * @default '/__emulator/stats'
   */
  readonly statsPath?: string | false;
  /**
   * What the stats endpoint serves, for an emulator that keeps its own stats shape.
   * @default the stats as they are
   */
  readonly statsView?: (stats: EmulatorServerStats) => unknown;
  /**
   * Whether the stats keep every arrival time per token (`arrivals`), for tests that count
   * requests per window as the API does. Off for a long-running emulator that nobody counts,
   * since the list grows with every request.
   * @default true
   */
  readonly recordArrivals?: boolean;
  /**
   * Largest request body read, in bytes; a larger one is answered 413.
   * @default 1_048_576
   */
  readonly maxBodyBytes?: number;
};

/** {@link EmulatorServerOptions} with every default applied and every value checked. */
export type ResolvedServerOptions = Required<Omit<EmulatorServerOptions, 'auth'>> & {
  readonly auth: Authenticator | undefined;
};

/**
 * Applies the defaults once, where the options enter the kit.
 *
 * @param options - What the caller gave.
 * @returns Every option, with defaults.
 * @throws {RangeError} for a host that is not loopback, a port, latency or body size out of range.
 */
export function resolveServerOptions(options: EmulatorServerOptions): ResolvedServerOptions {
  const {
    routes,
    auth,
    rateLimits = {},
    faults = {},
    latencyMs = 0,
    host = '127.0.0.1',
    port = 0,
    seed = 1,
    now = () => performance.now(),
    errorResponse = defaultErrorResponse,
    statsPath = '/__emulator/stats',
    statsView = (stats) => stats,
    recordArrivals = true,
    maxBodyBytes = 1_048_576,
  } = options;
  if (!isLoopback(host)) throw new RangeError(`host must be a loopback address, got ${host}.`);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}.`);
  }
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new RangeError(`maxBodyBytes must be a whole number, got ${maxBodyBytes}.`);
  }
  return {
    routes,
    auth,
    rateLimits,
    faults,
    latencyMs: checkLatency(latencyMs),
    host,
    port,
    seed,
    now,
    errorResponse,
    statsPath,
    statsView,
    recordArrivals,
    maxBodyBytes,
  };
}

/**
 * Whether a host names the loopback interface.
 *
 * @param host - A host name or IP address.
 * @returns `true` for `localhost`, `::1` and `127.x.x.x`.
 * @example isLoopback('0.0.0.0') // false
 */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
