import { startEmulatorServer } from '@capital/core/testing';
import type { EmulatorOptions } from './emulator-options.js';
import { resolveEmulatorOptions, toServerOptions } from './emulator-options.js';
import type { EmulatorStats } from './emulator-stats.js';
import { toEmulatorStats } from './emulator-stats.js';

/** The path serving {@link EmulatorStats} as JSON, without a token, for tests in another process. */
export const STATS_PATH = '/__emulator/stats';

/** A running emulator, as {@link startEmulator} returns it. */
export type RunningEmulator = {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** A snapshot of what the emulator has answered; see {@link EmulatorStats}. */
  stats(): EmulatorStats;
  /** Sets the stats back to zero (the rate limiter keeps its state). */
  resetStats(): void;
  /**
   * Holds every API answer from now on until {@link RunningEmulator.release}: requests are
   * still counted and rate-limited as they arrive, but their answers wait. Tests use it to
   * freeze a crawl in a known state (e.g. a worker with a request in flight) instead of racing it.
   *
   * @param after - How many more answers go through before holding starts.
   */
  hold(after?: number): void;
  /** Sends the held answers and stops holding. */
  release(): void;
  /** How many answers are being held right now. */
  heldRequests(): number;
  /**
   * Changes the per-token rate limit from now on (requests already in the window stay in it),
   * e.g. to drop it mid-run and raise it again.
   * @throws {RangeError} with `rateLimit: false`, or for a value out of range.
   */
  setRateLimit(limit: { readonly limit?: number; readonly windowMs?: number }): void;
  /** Stops listening and closes every connection, keep-alive ones too. Safe to call twice. */
  close(): Promise<void>;
};

/**
 * Starts a local emulator of World Trading Data's closed `GET /api/v1/stock_search` API, on
 * loopback, on the emulator kit of `@capital/core/testing`.
 *
 * It answers `?search_term=…&limit=…&page=…&api_token=…` with
 * `{ total_returned, total_results, total_pages, limit, page, data: [{ symbol, name, currency,
 * price, stock_exchange_long, stock_exchange_short }] }`, and errors with `{ "message": … }`:
 * 401 for a missing or unknown token, 400 for a missing `search_term` or a `limit` or `page` that
 * is not a positive integer, 429 over the per-token rate limit (`Retry-After` in whole seconds,
 * `Retry-After-Ms` exact), 404 for any other path. A `limit` over `maxLimit` is clamped, and a
 * page past the last one is a 200 with `data: []`, both as the real API did. Faults (latency,
 * 5xx, broken bodies, spurious 429s) are injected on request, from a seed.
 *
 * @param options - See {@link EmulatorOptions}.
 * @returns The running emulator, once it listens.
 * @throws {RangeError} for an option out of range (e.g. a host that is not loopback).
 * @throws The listen error, e.g. `EADDRINUSE`, when the port is taken.
 * @example
 * const emulator = await startEmulator({ tokens: ['secret'] });
 * const response = await fetch(`${emulator.url}/api/v1/stock_search?search_term=new%20york&api_token=secret`);
 * (await response.json()).total_results; // 431
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const server = await startEmulatorServer({
    ...toServerOptions(resolveEmulatorOptions(options), STATS_PATH),
    statsView: toEmulatorStats,
  });
  return {
    url: server.url,
    stats: () => toEmulatorStats(server.stats()),
    resetStats: () => server.resetStats(),
    hold: (after) => server.hold(after),
    release: () => server.release(),
    heldRequests: () => server.heldRequests(),
    setRateLimit: (limit) => server.setRateLimit('token', limit),
    close: () => server.close(),
  };
}
