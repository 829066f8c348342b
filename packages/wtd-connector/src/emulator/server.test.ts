import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateListings } from './dataset.js';
import type { RunningEmulator } from './server.js';
import { startEmulator } from './server.js';
import type { StockSearchPage } from './stock-search.js';

const dataset = generateListings({ size: 5000, seed: 4 });

function searchUrl(emulator: RunningEmulator, query: Record<string, string>): string {
  return `${emulator.url}/api/v1/stock_search?${new URLSearchParams(query)}`;
}

describe('startEmulator with the default dataset', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  it('listens on loopback', () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers the documented example: 431 results on 9 pages of 50', async () => {
    const response = await fetch(
      searchUrl(emulator, { search_term: 'new york', limit: '50', page: '1', api_token: 'demo' }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as StockSearchPage;
    expect(body).toMatchObject({
      total_returned: 50,
      total_results: 431,
      total_pages: 9,
      limit: 50,
      page: 1,
    });
    expect(Object.keys(body.data[0] ?? {}).sort()).toEqual(
      ['currency', 'name', 'price', 'stock_exchange_long', 'stock_exchange_short', 'symbol'].sort(),
    );
    expect(typeof body.data[0]?.price).toBe('string');
  });

  it('answers the partial last page', async () => {
    const response = await fetch(
      searchUrl(emulator, { search_term: 'new york', page: '9', api_token: 'demo' }),
    );
    expect(await response.json()).toMatchObject({
      total_returned: 31,
      total_results: 431,
      total_pages: 9,
      page: 9,
    });
  });
});

describe('startEmulator', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ dataset, tokens: ['demo', 'secret-token-123'], rateLimit: false });
  });
  afterAll(() => emulator.close());

  it('answers 401 without a token', async () => {
    const response = await fetch(searchUrl(emulator, { search_term: 'new york' }));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Invalid API token.' });
  });

  it('answers 401 to an unknown token, without echoing it', async () => {
    const response = await fetch(searchUrl(emulator, { search_term: 'a', api_token: 'leaked-token-xyz' }));
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ message: 'Invalid API token.' });
    expect(text).not.toContain('leaked-token-xyz');
    expect(JSON.stringify([...response.headers])).not.toContain('leaked-token-xyz');
  });

  it('accepts every configured token', async () => {
    const response = await fetch(searchUrl(emulator, { search_term: 'a', api_token: 'secret-token-123' }));
    expect(response.status).toBe(200);
  });

  it.each([
    [{ limit: '5' }, 'The search term field is required.'],
    [{ search_term: 'a', limit: '0' }, 'The limit must be a positive integer.'],
    [{ search_term: 'a', limit: 'many' }, 'The limit must be a positive integer.'],
    [{ search_term: 'a', page: '-1' }, 'The page must be a positive integer.'],
  ])('answers 400 to %o', async (query, message) => {
    const response = await fetch(searchUrl(emulator, { ...query, api_token: 'demo' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message });
  });

  it('answers a page past the last with 200, no data and the right totals', async () => {
    const response = await fetch(
      searchUrl(emulator, { search_term: 'new york', page: '4', api_token: 'demo' }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      total_returned: 0,
      total_results: 108,
      total_pages: 3,
      limit: 50,
      page: 4,
      data: [],
    });
  });

  it('clamps a limit above 50', async () => {
    const response = await fetch(
      searchUrl(emulator, { search_term: 'new york', limit: '200', api_token: 'demo' }),
    );
    expect(await response.json()).toMatchObject({ limit: 50, total_returned: 50, total_pages: 3 });
  });

  it('answers 404 in JSON to any other path', async () => {
    const response = await fetch(`${emulator.url}/api/v1/stock?symbol=AAPL&api_token=demo`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ message: 'Not found.' });
  });

  it('answers 405 to a method other than GET', async () => {
    const response = await fetch(searchUrl(emulator, { search_term: 'a', api_token: 'demo' }), {
      method: 'POST',
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});

describe('emulator stats', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ dataset, rateLimit: false });
  });
  afterAll(() => emulator.close());

  it('counts requests, statuses and each page served', async () => {
    emulator.resetStats();
    for (const page of ['1', '2', '3']) {
      await fetch(searchUrl(emulator, { search_term: 'new york', limit: '50', page, api_token: 'demo' }));
    }
    await fetch(searchUrl(emulator, { search_term: 'new york', limit: '50', page: '1', api_token: 'demo' }));
    await fetch(searchUrl(emulator, { search_term: 'new york', api_token: 'nope' }));
    const { maxPerSecond, ...counts } = emulator.stats();
    expect(counts).toEqual({
      requests: 5,
      byStatus: { 200: 4, 401: 1 },
      malformed: 0,
      pages: [
        { searchTerm: 'new york', limit: 50, page: 1, served: 2 },
        { searchTerm: 'new york', limit: 50, page: 2, served: 1 },
        { searchTerm: 'new york', limit: 50, page: 3, served: 1 },
      ],
    });
    // The 4 accepted requests of one token, in one second or spread over more (a slow machine).
    expect(maxPerSecond).toBeGreaterThanOrEqual(1);
    expect(maxPerSecond).toBeLessThanOrEqual(4);
  });

  it('serves the same stats over HTTP, without a token and without counting the call', async () => {
    emulator.resetStats();
    await fetch(searchUrl(emulator, { search_term: 'gold', api_token: 'demo' }));
    const response = await fetch(`${emulator.url}/__emulator/stats`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(emulator.stats());
    expect(emulator.stats().requests).toBe(1);
  });

  it('starts again from zero after resetStats()', async () => {
    await fetch(searchUrl(emulator, { search_term: 'gold', api_token: 'demo' }));
    emulator.resetStats();
    expect(emulator.stats()).toEqual({ requests: 0, byStatus: {}, malformed: 0, pages: [], maxPerSecond: 0 });
  });
});

describe('RunningEmulator.close', () => {
  it('closes keep-alive connections and stops answering', async () => {
    const emulator = await startEmulator({ dataset });
    // fetch keeps this connection alive; close() must not wait for it to time out.
    await (await fetch(searchUrl(emulator, { search_term: 'a', api_token: 'demo' }))).text();
    const started = performance.now();
    await emulator.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(searchUrl(emulator, { search_term: 'a', api_token: 'demo' }))).rejects.toThrow();
  });

  it('can be called twice, at once or after it closed, and stays closed', async () => {
    const emulator = await startEmulator({ dataset });
    const url = searchUrl(emulator, { search_term: 'a', api_token: 'demo' });
    expect((await fetch(url)).status).toBe(200);

    await expect(Promise.all([emulator.close(), emulator.close()])).resolves.toEqual([undefined, undefined]);
    await expect(emulator.close()).resolves.toBeUndefined();

    await expect(fetch(url)).rejects.toThrow();
  });
});
