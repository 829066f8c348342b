import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiContext } from './answer-api-request.js';
import { answerApiRequest } from './answer-api-request.js';
import type { EmulatorOptions } from './emulator-options.js';
import { resolveEmulatorOptions } from './emulator-options.js';
import type { EmulatorResponse } from './emulator-response.js';
import { errorResponse, jsonResponse } from './emulator-response.js';
import type { EmulatorStats } from './emulator-stats.js';
import { StatsRecorder } from './emulator-stats.js';
import { createFaultInjector } from './faults.js';
import { RollingWindowLimiter } from './rolling-window-limiter.js';
import { createStockSearch } from './stock-search.js';

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
  /** Stops listening and closes every connection, keep-alive ones too. Safe to call twice. */
  close(): Promise<void>;
};

/**
 * Starts a local emulator of World Trading Data's closed `GET /api/v1/stock_search` API, on
 * loopback, with `node:http` only.
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
  const resolved = resolveEmulatorOptions(options);
  const context: ApiContext = {
    tokens: new Set(resolved.tokens),
    limiter: resolved.rateLimit === false ? undefined : new RollingWindowLimiter(resolved.rateLimit),
    now: resolved.now,
    decideFault: createFaultInjector(resolved.faults),
    search: createStockSearch(resolved.dataset, resolved.maxLimit),
  };
  const stats = new StatsRecorder();
  // Aborts answers still waiting out `latencyMs` when the emulator closes.
  const closing = new AbortController();
  // Every delayed answer listens on it; many at once are normal here, not a leak.
  setMaxListeners(0, closing.signal);
  const gate = new AnswerGate();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    if (url.pathname === STATS_PATH) {
      write(response, jsonResponse(200, stats.snapshot(), { 'cache-control': 'no-store' }));
      return;
    }
    const answer = answerApiRequest(request.method ?? 'GET', url, context);
    await gate.pass();
    if (resolved.latencyMs > 0) {
      try {
        await delay(resolved.latencyMs, undefined, { signal: closing.signal });
      } catch {
        return;
      }
    }
    stats.recordAnswer(answer.response.status, answer.malformed);
    if (answer.served !== undefined) {
      stats.recordPage(answer.served.searchTerm, answer.served.limit, answer.served.page);
    }
    write(response, answer.response);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) write(response, errorResponse(500, 'Emulator error.'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: resolved.port, host: resolved.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    hold: (after = 0) => gate.hold(after),
    release: () => gate.release(),
    heldRequests: () => gate.waiting,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        gate.release();
        closing.abort();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** Lets answers through, or holds them all until released. */
class AnswerGate {
  // One hold at a time; answers held by an earlier hold are not counted in `waiting`.
  #held: { promise: Promise<void>; open: () => void; waiting: number } | undefined;
  #passesLeft = 0;

  get waiting(): number {
    return this.#held?.waiting ?? 0;
  }

  hold(after: number): void {
    if (!Number.isSafeInteger(after) || after < 0)
      throw new RangeError(`hold(after): ${after} is not a count`);
    this.#passesLeft = after;
    if (this.#held !== undefined) return;
    let open = () => {};
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#held = { promise, open, waiting: 0 };
  }

  release(): void {
    this.#held?.open();
    this.#held = undefined;
  }

  async pass(): Promise<void> {
    const held = this.#held;
    if (held === undefined) return;
    if (this.#passesLeft > 0) {
      this.#passesLeft -= 1;
      return;
    }
    held.waiting += 1;
    try {
      await held.promise;
    } finally {
      held.waiting -= 1;
    }
  }
}

function write(response: ServerResponse, answer: EmulatorResponse): void {
  if (response.destroyed) return;
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}
