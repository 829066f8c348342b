import {
  AuthenticationError,
  HttpStatusError,
  InvalidResponseError,
  isRetryable,
  TransientError,
} from '@capital/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closedLoopbackUrl,
  errorText,
  type StubApi,
  sendJson,
  sendText,
  startStubApi,
} from '../test/stub-api.js';
import { fetchStockSearchPage, type StockSearchRequest } from './client.js';
import { generateListings, searchListings } from './emulator/dataset.js';
import type { EmulatorOptions } from './emulator/emulator-options.js';
import { type RunningEmulator, startEmulator } from './emulator/server.js';

const token = 'tok-S3cret/+value&9f2c';
const dataset = generateListings({ size: 2000, seed: 11 });

function request(baseUrl: string, overrides: Partial<StockSearchRequest> = {}): StockSearchRequest {
  return { baseUrl, token, searchTerm: 'new york', limit: 10, page: 1, timeoutMs: 10_000, ...overrides };
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome))
    throw new Error(`Expected a rejection, got ${JSON.stringify(outcome.resolved)}.`);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

function expectNoToken(error: Error): void {
  const text = errorText(error);
  expect(text).not.toContain(token);
  expect(text).not.toContain(encodeURIComponent(token));
}

const running: { close(): Promise<void> }[] = [];

async function emulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const started = await startEmulator({ dataset, tokens: [token], rateLimit: false, ...options });
  running.push(started);
  return started;
}

async function stub(answer: Parameters<typeof startStubApi>[0]): Promise<StubApi> {
  const started = await startStubApi(answer);
  running.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

describe('fetchStockSearchPage against the emulator', () => {
  let api: RunningEmulator;
  beforeAll(async () => {
    api = await startEmulator({ dataset, tokens: [token], rateLimit: false });
  });
  afterAll(() => api.close());

  it('returns the validated page with its totals and listings, fields unchanged', async () => {
    const expected = searchListings(dataset, 'new york');

    const page = await fetchStockSearchPage(request(api.url, { page: 2 }));

    expect(page).toEqual({
      total_returned: 10,
      total_results: expected.length,
      total_pages: Math.ceil(expected.length / 10),
      limit: 10,
      page: 2,
      data: expected.slice(10, 20),
    });
  });

  it('sends the search term, limit, page and token as the API expects them', async () => {
    const page = await fetchStockSearchPage(request(api.url, { searchTerm: 'NEW york', limit: 3, page: 1 }));

    expect(page.data.map((listing) => listing.symbol)).toEqual(
      searchListings(dataset, 'new york')
        .slice(0, 3)
        .map((listing) => listing.symbol),
    );
  });

  it('accepts a base URL with a trailing slash', async () => {
    const page = await fetchStockSearchPage(request(`${api.url}/`));

    expect(page.page).toBe(1);
  });

  it('returns a search without matches as a single empty page', async () => {
    const page = await fetchStockSearchPage(request(api.url, { searchTerm: 'no such company anywhere' }));

    expect(page).toMatchObject({ total_results: 0, total_pages: 0, page: 1, data: [] });
  });

  it('returns the empty page past the last one as the API sends it', async () => {
    const pages = Math.ceil(searchListings(dataset, 'new york').length / 10);

    const page = await fetchStockSearchPage(request(api.url, { page: pages + 1 }));

    expect(page).toMatchObject({ total_pages: pages, page: pages + 1, data: [] });
  });
});

describe('fetchStockSearchPage errors', () => {
  it('fails a rejected token with a permanent HttpStatusError 401 that does not hold the token', async () => {
    const api = await emulator({ tokens: ['another-token'] });

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 401, retryable: false, code: 'HTTP_STATUS' });
    expect(error.message).toBe('HTTP 401: Invalid API token.');
    expect(isRetryable(error)).toBe(false);
    expectNoToken(error);
  });

  it('fails a 429 from the rate limit as retryable, with the Retry-After in ms', async () => {
    const api = await emulator({ rateLimit: { limit: 1, windowMs: 60_000 } });
    await fetchStockSearchPage(request(api.url));

    const error = await rejectionOf(fetchStockSearchPage(request(api.url, { page: 2 })));

    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 429, retryable: true });
    const { retryAfterMs } = error as HttpStatusError;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expectNoToken(error);
  });

  it('fails a spurious 429 as retryable, with its one-second Retry-After', async () => {
    const api = await emulator({ burst429Rate: 1 });

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toMatchObject({
      name: 'HttpStatusError',
      status: 429,
      retryable: true,
      retryAfterMs: 1000,
    });
  });

  it('fails every 5xx, HTML or JSON, as a retryable HttpStatusError without the token', async () => {
    const api = await emulator({ faultRate: 1, seed: 5 });

    for (let index = 0; index < 12; index += 1) {
      const error = await rejectionOf(fetchStockSearchPage(request(api.url)));
      expect(error).toBeInstanceOf(HttpStatusError);
      expect([500, 502, 503]).toContain((error as HttpStatusError).status);
      expect(error).toMatchObject({ retryable: true, retryAfterMs: undefined });
      expectNoToken(error);
    }
    expect(api.stats().byStatus[200]).toBeUndefined();
  });

  it('fails every broken 200 from the emulator as a retryable InvalidResponseError, never as a page', async () => {
    const api = await emulator({ malformedRate: 1, seed: 5 });

    for (let index = 0; index < 15; index += 1) {
      const error = await rejectionOf(fetchStockSearchPage(request(api.url)));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).toMatchObject({ retryable: true, code: 'INVALID_RESPONSE' });
      expectNoToken(error);
    }
    expect(api.stats().malformed).toBe(15);
  });

  it('fails truncated JSON as a retryable InvalidResponseError', async () => {
    const api = await stub((_request, response) =>
      sendText(response, 200, '{"total_returned":10,"total_results":40,"data":[{"sym', 'application/json'),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('fails an HTML page answered with 200 as a retryable InvalidResponseError', async () => {
    const api = await stub((_request, response) =>
      sendText(response, 200, '<!DOCTYPE html><html><body>We will be back soon</body></html>', 'text/html'),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('fails totals without a data array as a retryable InvalidResponseError, not as an empty last page', async () => {
    const api = await stub((_request, response) =>
      sendJson(response, 200, { total_returned: 0, total_results: 0, total_pages: 0, limit: 10, page: 1 }),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/not a page of listings/);
  });

  it('fails an empty data array before the last page as a retryable InvalidResponseError', async () => {
    const api = await stub((_request, response) =>
      sendJson(response, 200, {
        total_returned: 0,
        total_results: 30,
        total_pages: 3,
        limit: 10,
        page: 2,
        data: [],
      }),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url, { page: 2 })));

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/Page 2 of 3 came back empty/);
  });

  it('fails a page other than the one asked for as a retryable InvalidResponseError', async () => {
    const api = await stub((_request, response) =>
      sendJson(response, 200, {
        total_returned: 0,
        total_results: 30,
        total_pages: 3,
        limit: 10,
        page: 1,
        data: [],
      }),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url, { page: 3 })));

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error.message).toBe('Asked for page 3, the API answered page 1.');
  });

  it('fails a 200 with an error message as retryable, with the token removed from the message', async () => {
    const api = await stub((_request, response) =>
      sendJson(response, 200, {
        message: `Token ${token} (${encodeURIComponent(token)}) is over its quota.`,
      }),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/answered 200 with an error message: Token \[redacted\]/);
    expectNoToken(error);
  });

  it('fails the real API\'s refused-key answer, a 200 with {"Message":"Invalid API Key."}, at once as an AuthenticationError', async () => {
    const api = await stub((_request, response) => sendJson(response, 200, { Message: 'Invalid API Key.' }));

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false });
    expect(isRetryable(error)).toBe(false);
    expect(error.message).toBe('The API refused the token (it answered 200 with: Invalid API Key.)');
  });

  it('quotes a 200 that is not JSON without the token, even where the quote would cut it', async () => {
    const api = await stub((_request, response) =>
      sendText(response, 200, `Unknown api_token ${'x'.repeat(36)}${token}, see docs`, 'text/plain'),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error.message).toContain('[redac');
    expect(errorText(error)).not.toContain(token.slice(0, 5));
  });

  it('fails a 4xx whose message echoes the token as permanent, with the token removed', async () => {
    const api = await stub((_request, response) =>
      sendJson(response, 403, { message: `Forbidden: ${token}` }),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toMatchObject({ name: 'HttpStatusError', status: 403, retryable: false });
    expect(error.message).toBe('HTTP 403: Forbidden: [redacted]');
    expectNoToken(error);
  });

  it('fails a listing without a symbol as a retryable InvalidResponseError', async () => {
    const api = await stub((_request, response) =>
      sendJson(response, 200, {
        total_returned: 1,
        total_results: 1,
        total_pages: 1,
        limit: 10,
        page: 1,
        data: [{ name: 'No Symbol Inc', currency: 'USD', price: '1.00' }],
      }),
    );

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(InvalidResponseError);
  });

  it('keeps unknown listing fields as the API sent them', async () => {
    const listing = {
      symbol: 'NYX',
      name: 'New York Example',
      currency: null,
      price: 12.5,
      stock_exchange_long: null,
      stock_exchange_short: null,
      isin: 'US0000000001',
    };
    const api = await stub((_request, response) =>
      sendJson(response, 200, {
        total_returned: 1,
        total_results: 1,
        total_pages: 1,
        limit: 10,
        page: 1,
        data: [listing],
      }),
    );

    const page = await fetchStockSearchPage(request(api.url));

    expect(page.data).toEqual([listing]);
  });

  it('fails a body that breaks off as retryable, without the token', async () => {
    const api = await stub((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"total_returned":10,', () => response.socket?.destroy());
    });

    const error = await rejectionOf(fetchStockSearchPage(request(api.url)));

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/^The response body broke off/);
    expect(isRetryable(error)).toBe(true);
    expectNoToken(error);
  });

  it('fails a request that times out as a retryable TransientError without the token', async () => {
    const api = await stub(() => {
      // Never answers: the client's timeout must end the request.
    });

    const error = await rejectionOf(fetchStockSearchPage(request(api.url, { timeoutMs: 50 })));

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(error.message).toBe('The request timed out after 50 ms.');
    expectNoToken(error);
  });

  it('fails an unreachable base URL as a retryable TransientError without the token', async () => {
    const url = await closedLoopbackUrl();

    const error = await rejectionOf(fetchStockSearchPage(request(url)));

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'NETWORK', retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expectNoToken(error);
  });

  it('rejects with the signal reason when the request is aborted', async () => {
    const api = await stub(() => {
      // Never answers: only the abort ends the request.
    });
    const controller = new AbortController();
    const reason = new Error('The crawl was unsubscribed.');

    const pending = fetchStockSearchPage(request(api.url, { signal: controller.signal }));
    while (api.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
  });
});
