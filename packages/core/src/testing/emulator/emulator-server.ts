import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { AnswerGate } from './answer-gate.js';
import type { Answer, AnswerContext } from './decide-answer.js';
import { decideAnswer } from './decide-answer.js';
import type { EmulatorResponse } from './emulator-response.js';
import { jsonResponse } from './emulator-response.js';
import type { EmulatorServerOptions } from './emulator-server-options.js';
import { resolveServerOptions } from './emulator-server-options.js';
import type { EmulatorServerStats } from './emulator-stats.js';
import { StatsRecorder } from './emulator-stats.js';
import { createFaultInjector, createSlowInjector } from './faults.js';
import { LayeredRateLimiter } from './rate-limits.js';
import type { EmulatorRequest } from './route-table.js';
import { RouteTable } from './route-table.js';

/** A running emulator, as {@link startEmulatorServer} returns it. */
export type RunningEmulatorServer = {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** A snapshot of what the emulator has seen; see {@link EmulatorServerStats}. */
  stats(): EmulatorServerStats;
  /** Sets the stats back to zero (the rate limits keep their state). */
  resetStats(): void;
  /**
   * Holds every answer from now on until {@link RunningEmulatorServer.release}: requests are
   * still counted and rate-limited as they arrive, but their answers wait.
   *
   * @param after - How many more answers go through before holding starts.
   * @throws {RangeError} when `after` is not a whole number.
   */
  hold(after?: number): void;
  /** Sends the held answers and stops holding. */
  release(): void;
  /** How many answers are being held right now. */
  heldRequests(): number;
  /**
   * Changes a rate limit layer (or `concurrency`) while running, e.g. to drop a limit mid-run.
   *
   * @throws {RangeError} for an unknown layer or a value out of range.
   */
  setRateLimit(name: string, limit: { readonly limit?: number; readonly windowMs?: number }): void;
  /** Stops listening and closes every connection, keep-alive ones too. Safe to call twice. */
  close(): Promise<void>;
};

/**
 * Starts an emulator of an HTTP API on loopback, with `node:http` only: the kit does the
 * routing, the token check, the rate limits, the faults, the latency, the stats and the hold,
 * so that a connector's emulator is its routes and its data.
 *
 * @param options - See {@link EmulatorServerOptions}.
 * @returns The running emulator, once it listens.
 * @throws {RangeError} for an option out of range (e.g. a host that is not loopback).
 * @throws The listen error, e.g. `EADDRINUSE`, when the port is taken.
 * @example
 * const emulator = await startEmulatorServer({
 *   routes: [{ method: 'GET', path: '/v1/things/:id', handle: (request) => jsonResponse(200, { id: request.params.id }) }],
 *   auth: bearerAuth({ tokens: ['sk_test'] }),
 *   rateLimits: { layers: [{ name: 'global', limit: 25, windowMs: 1000 }] },
 * });
 */
export async function startEmulatorServer(options: EmulatorServerOptions): Promise<RunningEmulatorServer> {
  const resolved = resolveServerOptions(options);
  const stats = new StatsRecorder(resolved.recordArrivals);
  const context: AnswerContext = {
    table: new RouteTable(resolved.routes),
    auth: resolved.auth,
    limits: new LayeredRateLimiter(resolved.rateLimits),
    faults: resolved.faults,
    decideFault: createFaultInjector(resolved.faults, resolved.seed),
    drawSlowMs: createSlowInjector(resolved.faults, resolved.seed),
    now: resolved.now,
    errorResponse: resolved.errorResponse,
    stats,
  };
  // Aborts answers still waiting out their latency when the emulator closes.
  const closing = new AbortController();
  // Every delayed answer listens on it; many at once are normal here, not a leak.
  setMaxListeners(0, closing.signal);
  const gate = new AnswerGate();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    if (resolved.statsPath !== false && url.pathname === resolved.statsPath) {
      const view = resolved.statsView(stats.snapshot());
      write(response, jsonResponse(200, view, { 'cache-control': 'no-store' }));
      return;
    }
    stats.started();
    let answer: Answer | undefined;
    try {
      const method = (request.method ?? 'GET').toUpperCase();
      const read = (params: Record<string, string>) =>
        readRequest(request, url, method, params, resolved.maxBodyBytes);
      answer = await decideAnswer(method, url.pathname, read, context);
      await gate.pass();
      const wait = resolved.latencyMs + (answer.slowMs ?? 0);
      if (wait > 0) {
        try {
          await delay(wait, undefined, { signal: closing.signal });
        } catch {
          return;
        }
      }
      const { route, limited, malformed, served } = answer;
      const status = answer.response === 'reset' ? 'reset' : answer.response.status;
      stats.answered({ status, route, limited, malformed: malformed ?? false, served });
      if (answer.response === 'reset') request.socket.destroy();
      else write(response, answer.response);
    } finally {
      answer?.release?.();
      stats.finished();
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) {
        write(
          response,
          resolved.errorResponse({ status: 500, code: 'internal', message: 'Emulator error.' }),
        );
      }
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
    setRateLimit: (name, limit) => context.limits.setRateLimit(name, limit),
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

/** The request as a route sees it; the body is read only for methods that carry one. */
async function readRequest(
  request: IncomingMessage,
  url: URL,
  method: string,
  params: Record<string, string>,
  maxBodyBytes: number,
): Promise<EmulatorRequest | 'too-large'> {
  const base = { method, url, path: url.pathname, headers: request.headers, query: url.searchParams, params };
  if (method === 'GET' || method === 'HEAD') return base;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBodyBytes) return 'too-large';
    chunks.push(buffer);
  }
  return { ...base, body: Buffer.concat(chunks).toString('utf8') };
}

function write(response: ServerResponse, answer: EmulatorResponse): void {
  if (response.destroyed) return;
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}
