import { afterEach, describe, expect, it } from 'vitest';
import { bearerAuth, queryTokenAuth } from './auth.js';
import type { ErrorResponder } from './emulator-error.js';
import { jsonResponse } from './emulator-response.js';
import type { RunningEmulatorServer } from './emulator-server.js';
import { startEmulatorServer } from './emulator-server.js';
import type { EmulatorServerOptions } from './emulator-server-options.js';
import type { Route } from './route-table.js';

const running: RunningEmulatorServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function start(options: Partial<EmulatorServerOptions> = {}): Promise<RunningEmulatorServer> {
  const emulator = await startEmulatorServer({ routes, ...options });
  running.push(emulator);
  return emulator;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** Stripe's error shape, to show that each API keeps its own. */
const stripeError: ErrorResponder = (error) =>
  jsonResponse(error.status, { error: { type: 'api_error', code: error.code, message: error.message } });

const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/invoices/:id/lines',
    handle: (request, context) => ({
      ...jsonResponse(200, {
        object: 'list',
        invoice: request.params.id,
        by: context.principal,
        data: [1, 2],
      }),
      served: { key: `lines:${request.params.id}`, records: 2 },
    }),
  },
  {
    method: 'POST',
    path: '/v1/echo',
    handle: async (request) => jsonResponse(201, { body: request.body }),
  },
  { method: 'GET', path: '/v1/charges', handle: () => jsonResponse(200, { object: 'list', data: [] }) },
  { method: 'GET', path: '/v1/missing', handle: () => jsonResponse(404, { error: 'no such thing' }) },
  {
    method: 'GET',
    path: '/v1/broken',
    handle: () => {
      throw new Error('route bug');
    },
  },
  { method: 'GET', path: '/health', auth: false, handle: () => jsonResponse(200, { ok: true }) },
];

const bearer = { authorization: 'Bearer sk_test' };

describe('startEmulatorServer routing and errors', () => {
  it('routes by method and path pattern, handing the route its parameters and principal', async () => {
    const emulator = await start({ auth: bearerAuth({ tokens: ['sk_test'] }) });
    const response = await fetch(`${emulator.url}/v1/invoices/in_42/lines`, { headers: bearer });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ object: 'list', invoice: 'in_42', by: 'sk_test', data: [1, 2] });
  });

  it('reads the body of a POST', async () => {
    const emulator = await start();
    const response = await fetch(`${emulator.url}/v1/echo`, { method: 'POST', body: 'amount=100' });
    expect(await response.json()).toEqual({ body: 'amount=100' });
  });

  it('answers 413 to a body larger than maxBodyBytes', async () => {
    const emulator = await start({ maxBodyBytes: 4 });
    const response = await fetch(`${emulator.url}/v1/echo`, { method: 'POST', body: 'too long' });
    expect(response.status).toBe(413);
  });

  it('words 404, 405 and 401 in the API shape given, with Allow on a 405', async () => {
    const emulator = await start({ auth: bearerAuth({ tokens: ['sk_test'] }), errorResponse: stripeError });
    const notFound = await fetch(`${emulator.url}/v1/nothing`, { headers: bearer });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({
      error: { type: 'api_error', code: 'not_found', message: 'Not found.' },
    });
    const wrongMethod = await fetch(`${emulator.url}/v1/echo`, { headers: bearer });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const unauthorized = await fetch(`${emulator.url}/v1/invoices/in_1/lines`, {
      headers: { authorization: 'Bearer sk_leaked' },
    });
    expect(unauthorized.status).toBe(401);
    const text = await unauthorized.text();
    expect(JSON.parse(text).error.code).toBe('unauthorized');
    expect(text).not.toContain('sk_leaked');
  });

  it('skips the token check on a route that opts out', async () => {
    const emulator = await start({ auth: bearerAuth({ tokens: ['sk_test'] }) });
    expect((await fetch(`${emulator.url}/health`)).status).toBe(200);
  });

  it('passes a route 4xx through and answers 500 when a route throws', async () => {
    const emulator = await start({ faults: { faultRate: 1 } });
    expect(await (await fetch(`${emulator.url}/v1/missing`)).json()).toEqual({ error: 'no such thing' });
    const broken = await fetch(`${emulator.url}/v1/broken`);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ error: { code: 'internal', message: 'Emulator error.' } });
  });

  it('refuses to listen beyond loopback', async () => {
    await expect(startEmulatorServer({ routes, host: '0.0.0.0' })).rejects.toThrow(RangeError);
    await expect(startEmulatorServer({ routes, host: '192.168.1.2' })).rejects.toThrow(RangeError);
  });
});

describe('startEmulatorServer rate limits', () => {
  const lines = (emulator: RunningEmulatorServer, id: string, token = 'a') =>
    fetch(`${emulator.url}/v1/invoices/${id}/lines?key=${token}`);
  const auth = queryTokenAuth({ param: 'key', tokens: ['a', 'b'] });

  it('answers 429 from the layer that refuses, with Retry-After and the limit headers', async () => {
    const emulator = await start({
      auth,
      now: () => 0,
      rateLimits: {
        layers: [
          { name: 'global', limit: 3, windowMs: 1000 },
          { name: 'endpoint', limit: 2, windowMs: 1000, per: 'route' },
        ],
        headers: 'ratelimit',
      },
    });
    expect((await lines(emulator, 'x')).headers.get('ratelimit-remaining')).toBe('1');
    expect((await lines(emulator, 'x')).status).toBe(200);
    const refused = await lines(emulator, 'x');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(await refused.json()).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests. Try again in 1 second(s).' },
    });
    expect(emulator.stats().limited).toEqual({ endpoint: 1 });
    // The global layer was not charged for the refused request: one slot left for another route.
    expect((await fetch(`${emulator.url}/v1/charges?key=a`)).status).toBe(200);
    expect((await fetch(`${emulator.url}/v1/charges?key=a`)).status).toBe(429);
    expect(emulator.stats().limited).toEqual({ endpoint: 1, global: 1 });
  });

  it('answers a bare 429 when told to, and changes a limit while running', async () => {
    let now = 0;
    const emulator = await start({
      auth,
      now: () => now,
      rateLimits: { layers: [{ name: 'global', limit: 5, windowMs: 1000 }], retryAfter: false },
    });
    for (let index = 0; index < 3; index += 1) expect((await lines(emulator, 'x')).status).toBe(200);
    emulator.setRateLimit('global', { limit: 2 });
    const refused = await lines(emulator, 'x');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(await refused.json()).toMatchObject({ error: { message: 'Too many requests.' } });
    now = 1000;
    emulator.setRateLimit('global', { limit: 5 });
    expect((await lines(emulator, 'x')).status).toBe(200);
    expect(() => emulator.setRateLimit('nope', { limit: 1 })).toThrow(RangeError);
  });

  it('refuses requests over the concurrency limit while others are in flight', async () => {
    const emulator = await start({ auth, rateLimits: { concurrency: 2 } });
    emulator.hold();
    const first = lines(emulator, '1');
    const second = lines(emulator, '2');
    await until(() => emulator.heldRequests() === 2);
    // Held answers are in flight: the third request of token a is over the limit, b's is not.
    const third = lines(emulator, '3');
    const otherToken = lines(emulator, '4', 'b');
    await until(() => emulator.heldRequests() === 4);
    emulator.release();
    const statuses = await Promise.all([first, second, third, otherToken].map(async (r) => (await r).status));
    expect(statuses).toEqual([200, 200, 429, 200]);
    expect(emulator.stats()).toMatchObject({ limited: { concurrency: 1 }, inFlight: 0, maxInFlight: 4 });
    expect((await lines(emulator, '5')).status).toBe(200);
  });

  it('records every arrival per token, admitted or not, on the emulator clock', async () => {
    let now = 0;
    const emulator = await start({
      auth,
      now: () => now,
      rateLimits: { layers: [{ name: 'g', limit: 1, windowMs: 100 }] },
    });
    for (const at of [0, 10, 150]) {
      now = at;
      await lines(emulator, 'x');
    }
    now = 160;
    await lines(emulator, 'x', 'b');
    await fetch(`${emulator.url}/v1/invoices/x/lines?key=unknown`);
    expect(emulator.stats().arrivals).toEqual({ a: [0, 10, 150], b: [160] });
    expect(emulator.stats().byStatus).toEqual({ 200: 3, 401: 1, 429: 1 });
  });

  it('keeps no arrivals with recordArrivals: false', async () => {
    const emulator = await start({ auth, recordArrivals: false });
    await lines(emulator, 'x');
    expect(emulator.stats()).toMatchObject({ requests: 1, arrivals: {} });
  });
});

describe('startEmulatorServer faults', () => {
  const get = (emulator: RunningEmulatorServer, id = 'x') => fetch(`${emulator.url}/v1/invoices/${id}/lines`);

  it('resets connections without an answer at resetRate, and counts them', async () => {
    const emulator = await start({ faults: { resetRate: 1 } });
    await expect(get(emulator)).rejects.toThrow();
    await until(() => emulator.stats().resets === 1);
    expect(emulator.stats()).toMatchObject({ requests: 1, resets: 1, byStatus: {}, served: {} });
  });

  it('injects 429 bursts with their own Retry-After, and JSON 5xx in the API shape', async () => {
    const bursts = await start({ faults: { burst429Rate: 1, burst429RetryAfterMs: 2500 } });
    const burst = await get(bursts);
    expect(burst.status).toBe(429);
    expect(burst.headers.get('retry-after')).toBe('3');
    expect(bursts.stats().limited).toEqual({ burst: 1 });
    const errors = await start({ faults: { faultRate: 1 }, errorResponse: stripeError, seed: 4 });
    const bodies = new Set<string>();
    for (let index = 0; index < 20; index += 1) {
      const response = await get(errors);
      expect([500, 502, 503]).toContain(response.status);
      const text = await response.text();
      bodies.add(text.startsWith('<!DOCTYPE html>') ? 'html' : JSON.parse(text).error.code);
    }
    expect(bodies).toEqual(new Set(['html', 'server_error']));
  });

  it('breaks good bodies and counts them as malformed, not as served', async () => {
    const emulator = await start({ faults: { malformedRate: 1 } });
    for (let index = 0; index < 5; index += 1) expect((await get(emulator)).status).toBe(200);
    expect(emulator.stats()).toMatchObject({ malformed: 5, served: {}, records: 0 });
  });

  it('draws the same faults for the same seed', async () => {
    const statuses = async (seed: number) => {
      const emulator = await start({ faults: { faultRate: 0.5, burst429Rate: 0.2 }, seed });
      const answered: number[] = [];
      for (let index = 0; index < 30; index += 1) answered.push((await get(emulator)).status);
      return answered;
    };
    const first = await statuses(9);
    expect(await statuses(9)).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(2);
  });
});

describe('startEmulatorServer stats and hold', () => {
  const get = (emulator: RunningEmulatorServer, id: string) =>
    fetch(`${emulator.url}/v1/invoices/${id}/lines`);

  it('counts requests by status and route, records served and served keys', async () => {
    const emulator = await start();
    await get(emulator, 'a');
    await get(emulator, 'b');
    await get(emulator, 'a');
    await fetch(`${emulator.url}/nowhere`);
    expect(emulator.stats()).toMatchObject({
      requests: 4,
      byStatus: { 200: 3, 404: 1 },
      byRoute: { 'GET /v1/invoices/:id/lines': 3, '(none)': 1 },
      records: 6,
      served: { 'lines:a': 2, 'lines:b': 1 },
      inFlight: 0,
      maxInFlight: 1,
    });
    emulator.resetStats();
    expect(emulator.stats()).toMatchObject({ requests: 0, byStatus: {}, served: {}, records: 0 });
  });

  it('serves the stats over HTTP, without a token and without counting the call, in the view given', async () => {
    const emulator = await start({
      auth: bearerAuth({ tokens: ['sk_test'] }),
      statsView: (stats) => ({ total: stats.requests }),
    });
    await fetch(`${emulator.url}/v1/invoices/a/lines`, { headers: bearer });
    const response = await fetch(`${emulator.url}/__emulator/stats`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ total: 1 });
    expect(emulator.stats().requests).toBe(1);
  });

  it('holds answers after the given number until release, counting them only once answered', async () => {
    const emulator = await start();
    emulator.hold(1);
    expect((await get(emulator, 'a')).status).toBe(200);
    const held = get(emulator, 'b');
    await until(() => emulator.heldRequests() === 1);
    expect(emulator.stats()).toMatchObject({ requests: 1, served: { 'lines:a': 1 }, inFlight: 1 });
    emulator.release();
    expect((await held).status).toBe(200);
    expect(emulator.heldRequests()).toBe(0);
    expect(emulator.stats().served).toEqual({ 'lines:a': 1, 'lines:b': 1 });
    expect(() => emulator.hold(-1)).toThrow(RangeError);
  });

  it('drops held answers when closed', async () => {
    const emulator = await startEmulatorServer({ routes });
    emulator.hold();
    const pending = get(emulator, 'a').then(
      () => 'answered',
      () => 'failed',
    );
    await until(() => emulator.heldRequests() === 1);
    await emulator.close();
    expect(await pending).toBe('failed');
    await expect(emulator.close()).resolves.toBeUndefined();
  });
});
