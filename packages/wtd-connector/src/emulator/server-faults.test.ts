import { afterEach, describe, expect, it } from 'vitest';
import { generateListings } from './dataset.js';
import type { EmulatorOptions } from './emulator-options.js';
import type { RunningEmulator } from './server.js';
import { startEmulator } from './server.js';

const dataset = generateListings({ size: 500, seed: 4 });
const running: RunningEmulator[] = [];

async function start(options: EmulatorOptions): Promise<RunningEmulator> {
  const emulator = await startEmulator({ dataset, rateLimit: false, ...options });
  running.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

function get(emulator: RunningEmulator): Promise<Response> {
  return fetch(`${emulator.url}/api/v1/stock_search?search_term=a&limit=5&api_token=demo`);
}

/** Whether a 200 body is a usable page: JSON with a `data` array. */
function isGoodPage(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text).data);
  } catch {
    return false;
  }
}

describe('fault injection', () => {
  it('answers roughly the configured shares of 5xx, broken bodies and spurious 429s', async () => {
    const emulator = await start({ faultRate: 0.2, malformedRate: 0.15, burst429Rate: 0.1, seed: 7 });
    const counts = { serverError: 0, malformed: 0, burst429: 0, good: 0 };
    const total = 400;
    // In batches, for speed: the seed fixes the multiset of decisions whatever the arrival order.
    for (let batch = 0; batch < total / 25; batch += 1) {
      const responses = await Promise.all(Array.from({ length: 25 }, () => get(emulator)));
      for (const response of responses) {
        const text = await response.text();
        if (response.status >= 500) {
          expect([500, 502, 503]).toContain(response.status);
          counts.serverError += 1;
        } else if (response.status === 429) {
          expect(response.headers.get('retry-after')).toBe('1');
          counts.burst429 += 1;
        } else if (isGoodPage(text)) {
          counts.good += 1;
        } else {
          expect(response.status).toBe(200);
          counts.malformed += 1;
        }
      }
    }
    expect(counts.serverError / total).toBeGreaterThan(0.12);
    expect(counts.serverError / total).toBeLessThan(0.28);
    expect(counts.malformed / total).toBeGreaterThan(0.08);
    expect(counts.malformed / total).toBeLessThan(0.22);
    expect(counts.burst429 / total).toBeGreaterThan(0.04);
    expect(counts.burst429 / total).toBeLessThan(0.16);
    const stats = emulator.stats();
    expect(stats.malformed).toBe(counts.malformed);
    expect(stats.pages.reduce((sum, page) => sum + page.served, 0)).toBe(counts.good);
  });

  it('serves 5xx bodies as HTML pages and as JSON messages', async () => {
    const emulator = await start({ faultRate: 1, seed: 5 });
    const types = new Set<string | null>();
    for (let index = 0; index < 40; index += 1) {
      const response = await get(emulator);
      const text = await response.text();
      types.add(response.headers.get('content-type'));
      if (response.headers.get('content-type') === 'application/json') {
        expect(typeof JSON.parse(text).message).toBe('string');
      } else {
        expect(text).toContain('<html>');
      }
    }
    expect(types).toEqual(new Set(['application/json', 'text/html; charset=UTF-8']));
  });

  it('breaks 200 bodies in every way: truncated JSON, HTML, no data array', async () => {
    const emulator = await start({ malformedRate: 1, seed: 5 });
    const kinds = new Set<string>();
    for (let index = 0; index < 40; index += 1) {
      const response = await get(emulator);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(isGoodPage(text)).toBe(false);
      if (text.startsWith('<!DOCTYPE html>')) kinds.add('html');
      else if (text.endsWith('}')) kinds.add('missing-data');
      else kinds.add('truncated-json');
    }
    expect(kinds).toEqual(new Set(['html', 'missing-data', 'truncated-json']));
    expect(emulator.stats()).toMatchObject({ malformed: 40, byStatus: { 200: 40 }, pages: [] });
  });

  it('still answers 400 to an invalid query, whatever the faults', async () => {
    const emulator = await start({ faultRate: 1 });
    const response = await fetch(`${emulator.url}/api/v1/stock_search?limit=5&api_token=demo`);
    expect(response.status).toBe(400);
  });

  it('adds latencyMs to each answer', async () => {
    const emulator = await start({ latencyMs: 5 });
    const started = performance.now();
    await (await get(emulator)).text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);
  });

  it('drops answers still waiting out their latency when closed', async () => {
    const emulator = await startEmulator({ dataset, latencyMs: 60_000 });
    const pending = get(emulator);
    const started = performance.now();
    await emulator.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });
});
