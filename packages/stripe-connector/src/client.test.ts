import { InvalidResponseError, isRetryable, TransientError } from '@capital/core';
import {
  type EmulatorResponse,
  htmlResponse,
  jsonResponse,
  type RunningEmulatorServer,
  startEmulatorServer,
  withHeaders,
} from '@capital/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchStripeList, type StripeListRequest } from './client.js';
import { StripeApiError } from './stripe-api-error.js';

const token = 'sk_test_S3cret+value/9f2c';
const running: RunningEmulatorServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** A server whose `GET /v1/charges` answers `answer`, and records what it was sent. */
async function serve(
  answer: EmulatorResponse,
): Promise<{ url: string; seen: { auth?: string; query?: string }[] }> {
  const seen: { auth?: string; query?: string }[] = [];
  const server = await startEmulatorServer({
    routes: [
      {
        method: 'GET',
        path: '/v1/charges',
        handle: (request) => {
          const auth = request.headers.authorization;
          seen.push({ ...(typeof auth === 'string' ? { auth } : {}), query: request.query.toString() });
          return answer;
        },
      },
    ],
  });
  running.push(server);
  return { url: server.url, seen };
}

function request(baseUrl: string, overrides: Partial<StripeListRequest> = {}): StripeListRequest {
  return { baseUrl, token, path: 'v1/charges', query: { limit: 100 }, timeoutMs: 10_000, ...overrides };
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
}

const list = {
  object: 'list',
  url: '/v1/charges',
  has_more: false,
  data: [{ id: 'ch_1', object: 'charge' }],
};
const stripeError = (status: number, type: string, message: string, code?: string) =>
  jsonResponse(status, { error: { type, message, ...(code ? { code } : {}) } });

describe('fetchStripeList', () => {
  it('sends the key as a bearer token and the query, and returns the validated list', async () => {
    const api = await serve(jsonResponse(200, list));
    const page = await fetchStripeList(
      request(api.url, { query: { limit: 100, starting_after: 'ch_9', 'created[gte]': 1_700_000_000 } }),
    );
    expect(page.data).toEqual(list.data);
    expect(api.seen).toEqual([
      { auth: `Bearer ${token}`, query: 'limit=100&starting_after=ch_9&created%5Bgte%5D=1700000000' },
    ]);
  });

  it('fails a 401 as a non-retryable authentication error that never shows the key', async () => {
    const api = await serve(stripeError(401, 'invalid_request_error', `Invalid API Key provided: ${token}`));
    const error = await rejectionOf(fetchStripeList(request(api.url)));
    expect(error).toBeInstanceOf(StripeApiError);
    expect(error).toMatchObject({ status: 401, code: 'AUTHENTICATION', type: 'authentication_error' });
    expect(isRetryable(error)).toBe(false);
    expect(`${error.message}${error.stack}`).not.toContain(token);
  });

  it.each([402, 404])('fails a %i at once', async (status) => {
    const api = await serve(
      stripeError(status, 'invalid_request_error', 'No such thing.', 'resource_missing'),
    );
    const error = await rejectionOf(fetchStripeList(request(api.url)));
    expect(error).toMatchObject({ status, stripeCode: 'resource_missing', retryable: false });
  });

  it('retries a 429 with its Retry-After and the limiter that refused', async () => {
    const api = await serve(
      withHeaders(stripeError(429, 'invalid_request_error', 'Rate limited.', 'rate_limit'), {
        'retry-after': '2',
        'stripe-rate-limited-reason': 'endpoint-rate',
      }),
    );
    const error = await rejectionOf(fetchStripeList(request(api.url)));
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 2000 });
    expect(error).toMatchObject({ rateLimitedReason: 'endpoint-rate', stripeCode: 'rate_limit' });
    expect(error).toMatchObject({ limiterLayer: 'endpoint' });
  });

  it('retries a 5xx, but not when Stripe-Should-Retry says false', async () => {
    const plain = await serve(stripeError(500, 'api_error', 'Oops.'));
    expect(isRetryable(await rejectionOf(fetchStripeList(request(plain.url))))).toBe(true);
    const told = await serve(
      withHeaders(stripeError(500, 'api_error', 'Oops.'), { 'stripe-should-retry': 'false' }),
    );
    expect(isRetryable(await rejectionOf(fetchStripeList(request(told.url))))).toBe(false);
  });

  it('retries a 4xx when Stripe-Should-Retry says true (a lock timeout)', async () => {
    const api = await serve(
      withHeaders(stripeError(400, 'invalid_request_error', 'Lock timeout.', 'lock_timeout'), {
        'stripe-should-retry': 'true',
      }),
    );
    expect(isRetryable(await rejectionOf(fetchStripeList(request(api.url))))).toBe(true);
  });

  it('retries a 502 HTML page from a proxy, with its status', async () => {
    const api = await serve(htmlResponse(502, '502 Bad Gateway'));
    expect(await rejectionOf(fetchStripeList(request(api.url)))).toMatchObject({
      status: 502,
      retryable: true,
    });
  });

  it('retries a 200 whose body is not JSON or not a list, never taking it for an empty page', async () => {
    const html = await serve(htmlResponse(200, 'Maintenance'));
    const notJson = await rejectionOf(fetchStripeList(request(html.url)));
    expect(notJson).toBeInstanceOf(InvalidResponseError);
    expect(isRetryable(notJson)).toBe(true);
    const noData = await serve(jsonResponse(200, { object: 'list', has_more: false }));
    const invalid = await rejectionOf(fetchStripeList(request(noData.url)));
    expect(invalid).toBeInstanceOf(InvalidResponseError);
    expect(isRetryable(invalid)).toBe(true);
    expect(invalid.message).toMatch(/Invalid Stripe list from charges/);
  });

  it('reports a refused connection as a retryable network error without the key', async () => {
    const api = await serve(jsonResponse(200, list));
    const url = api.url;
    await running.splice(0)[0]?.close();
    const error = await rejectionOf(fetchStripeList(request(url)));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).not.toContain(token);
  });
});

describe('fetchStripeList with a body that is not JSON', () => {
  it('quotes its start without any part of the key, even one the quote would cut in two', async () => {
    // The key starts at character 50, so a 60-character quote would cut it after 10.
    const body = `${'<'.repeat(50)}${token} is not a key`;
    const { url } = await serve({ status: 200, headers: { 'content-type': 'text/plain' }, body });
    const error = await rejectionOf(fetchStripeList(request(url)));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error.message).toContain('not valid JSON');
    expect(error.message).not.toContain(token.slice(0, 10));
  });
});
