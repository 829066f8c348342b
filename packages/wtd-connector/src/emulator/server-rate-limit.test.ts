import { afterEach, describe, expect, it } from 'vitest';
import { generateListings } from './dataset.js';
import type { EmulatorOptions } from './emulator-options.js';
import type { RunningEmulator } from './server.js';
import { startEmulator } from './server.js';

const dataset = generateListings({ size: 500, seed: 4 });
const running: RunningEmulator[] = [];

async function start(options: EmulatorOptions): Promise<RunningEmulator> {
  const emulator = await startEmulator({ dataset, ...options });
  running.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

function get(emulator: RunningEmulator, token = 'demo'): Promise<Response> {
  return fetch(`${emulator.url}/api/v1/stock_search?search_term=a&api_token=${token}`);
}

async function statuses(responses: Promise<Response>[]): Promise<number[]> {
  return (await Promise.all(responses)).map((response) => response.status);
}

describe('the per-token rate limit', () => {
  it('answers the 11th request within a second with 429, Retry-After and Retry-After-Ms', async () => {
    const emulator = await start({ now: () => 0 });
    for (let index = 0; index < 10; index += 1) expect((await get(emulator)).status).toBe(200);
    const response = await get(emulator);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('retry-after-ms')).toBe('1000');
    expect(await response.json()).toEqual({ message: 'Too many requests. Try again in 1 second(s).' });
  });

  it('gives the exact milliseconds until the oldest request leaves the window, and whole seconds rounded up', async () => {
    let now = 0;
    const emulator = await start({ now: () => now, rateLimit: { limit: 2, windowMs: 2500 } });
    await get(emulator);
    now = 100;
    await get(emulator);
    now = 400;
    const response = await get(emulator);
    expect(response.headers.get('retry-after-ms')).toBe('2100');
    expect(response.headers.get('retry-after')).toBe('3');
    now = 2500;
    expect((await get(emulator)).status).toBe(200);
  });

  it('denies one of 11 quick requests on the real clock', async () => {
    const emulator = await start({});
    const answered = await statuses(Array.from({ length: 11 }, () => get(emulator)));
    expect(answered.filter((status) => status === 200)).toHaveLength(10);
    expect(answered.filter((status) => status === 429)).toHaveLength(1);
  });

  it('keeps a separate budget per token', async () => {
    const emulator = await start({ now: () => 0, tokens: ['a', 'b'] });
    await statuses(Array.from({ length: 10 }, () => get(emulator, 'a')));
    expect((await get(emulator, 'a')).status).toBe(429);
    expect((await get(emulator, 'b')).status).toBe(200);
  });

  it('is off with rateLimit: false', async () => {
    const emulator = await start({ now: () => 0, rateLimit: false });
    const answered = await statuses(Array.from({ length: 30 }, () => get(emulator)));
    expect(answered.every((status) => status === 200)).toBe(true);
  });

  it('counts 429s in the stats', async () => {
    const emulator = await start({ now: () => 0, rateLimit: { limit: 1, windowMs: 1000 } });
    await get(emulator);
    await get(emulator);
    expect(emulator.stats().byStatus).toEqual({ 200: 1, 429: 1 });
  });
});
