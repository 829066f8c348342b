import {
  createCredentialResolver,
  type Handler,
  HttpStatusError,
  IncompleteResultError,
  InvalidResponseError,
  isRetryable,
  NonRetryableError,
  silentLogger,
  type TaskResult,
  TransientError,
  taskKey,
} from '@capital/core';
import { firstValueFrom, from } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { closedLoopbackUrl, errorText, type StubApi, sendJson, startStubApi } from '../test/stub-api.js';
import { generateListings, searchListings } from './emulator/dataset.js';
import { type RunningEmulator, startEmulator } from './emulator/server.js';
import { createStockSearchHandler, type StockSearchHandlerOptions } from './handler.js';
import type { Listing } from './schema.js';
import { type StockSearchTask, stockSearchTask } from './task.js';

const token = 'handler-test-token-5be1';
const dataset = generateListings({ size: 2000, seed: 11 });
const matches = searchListings(dataset, 'new york');
const limit = 10;
const totalPages = Math.ceil(matches.length / limit);
const resolveCredential = createCredentialResolver({}, { WTD_API_TOKEN: token });

function run(
  handler: Handler<StockSearchTask, Listing>,
  task: StockSearchTask,
  signal: AbortSignal = new AbortController().signal,
): Promise<TaskResult<StockSearchTask, Listing>> {
  return firstValueFrom(
    from(handler(task, { signal, logger: silentLogger, taskKey: taskKey(task), attempt: 1 })),
  );
}

function handlerFor(baseUrl: string, options: Partial<StockSearchHandlerOptions> = {}) {
  return createStockSearchHandler({ baseUrl, resolveCredential, ...options });
}

function pageTask(page: number): StockSearchTask {
  return stockSearchTask({ searchTerm: 'new york', limit, page });
}

describe('createStockSearchHandler against the emulator', () => {
  let api: RunningEmulator;
  beforeAll(async () => {
    api = await startEmulator({ dataset, tokens: [token], rateLimit: false });
  });
  afterAll(() => api.close());

  it('fixture: the search spans several pages, the last one partial', () => {
    expect(totalPages).toBeGreaterThan(3);
    expect(matches.length % limit).not.toBe(0);
  });

  it("returns the page's listings, unchanged, with the task it ran", async () => {
    const task = pageTask(2);

    const result = await run(handlerFor(api.url), task);

    expect(result.task).toBe(task);
    expect(result.data).toEqual(matches.slice(limit, 2 * limit));
  });

  it('states what the whole search must hold, the same on every page, keyed to its first page', async () => {
    const first = await run(handlerFor(api.url), pageTask(1));
    const third = await run(handlerFor(api.url), pageTask(3));

    const expected = { scope: taskKey(pageTask(1)), records: matches.length, pages: totalPages };
    expect(first.expect).toEqual(expected);
    expect(third.expect).toEqual(expected);
  });

  it("keys each page to its own search's first page, one handler taking several searches in turn", async () => {
    const handler = handlerFor(api.url);
    const other = stockSearchTask({ searchTerm: 'new york', limit: limit + 1, page: 2 });
    // A field no stock-search task has: its scope is its own, whatever the search before it.
    const extra = { ...pageTask(2), extra: 'x' } as StockSearchTask;

    const scopes = [];
    for (const task of [pageTask(2), other, pageTask(3), extra, pageTask(2)]) {
      scopes.push((await run(handler, task)).expect?.scope);
    }

    const { page: _, ...extraSearch } = extra;
    expect(scopes).toEqual([
      taskKey(pageTask(1)),
      taskKey({ ...other, page: 1 }),
      taskKey(pageTask(1)),
      taskKey({ ...extraSearch, page: 1 }),
      taskKey(pageTask(1)),
    ]);
  });

  it('returns the task of the next page while the page is not the last', async () => {
    const task = pageTask(2);

    const { nextTasks } = await run(handlerFor(api.url), task);

    expect(nextTasks).toContainEqual({ ...task, page: 3, pagination: expect.anything() });
  });

  it('returns only later pages of the same search as next tasks', async () => {
    for (const page of [1, 2, totalPages - 1]) {
      const task = pageTask(page);

      const { nextTasks } = await run(handlerFor(api.url), task);

      expect(nextTasks.length).toBeGreaterThan(0);
      for (const next of nextTasks) {
        expect(next).toEqual({ ...task, page: next.page, pagination: expect.anything() });
        expect(next.page).toBeGreaterThan(page);
        expect(next.page).toBeLessThanOrEqual(totalPages);
      }
    }
  });

  it('leads from the first page to every later page, each once', async () => {
    const handler = handlerFor(api.url);
    const seen = new Set<number>([1]);
    const queue = [pageTask(1)];
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
      for (const next of (await run(handler, task)).nextTasks) {
        if (!seen.has(next.page)) queue.push(next);
        seen.add(next.page);
      }
    }

    expect([...seen].sort((a, b) => a - b)).toEqual(
      Array.from({ length: totalPages }, (_, index) => index + 1),
    );
  });

  it('returns the partial last page and no next task', async () => {
    const result = await run(handlerFor(api.url), pageTask(totalPages));

    expect(result.data).toEqual(matches.slice((totalPages - 1) * limit));
    expect(result.nextTasks).toEqual([]);
  });

  it('returns a search without matches as one empty page without next tasks', async () => {
    const result = await run(
      handlerFor(api.url),
      stockSearchTask({ searchTerm: 'no such company anywhere' }),
    );

    expect(result.data).toEqual([]);
    expect(result.nextTasks).toEqual([]);
  });

  it("resolves the task's credential reference to the token it sends", async () => {
    const resolve = vi.fn(resolveCredential);
    const task = stockSearchTask({ searchTerm: 'new york', credentials: 'env:WTD_API_TOKEN' });

    await run(handlerFor(api.url, { resolveCredential: resolve }), task);

    expect(resolve).toHaveBeenCalledWith('env:WTD_API_TOKEN');
  });

  it('puts no token into the next tasks, only the credential reference', async () => {
    const { nextTasks } = await run(handlerFor(api.url), pageTask(1));

    expect(JSON.stringify(nextTasks)).not.toContain(token);
    expect(nextTasks.every((next) => next.credentials === 'env:WTD_API_TOKEN')).toBe(true);
  });
});

describe('createStockSearchHandler errors', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<RunningEmulator> {
    const started = await startEmulator({ dataset, tokens: [token], rateLimit: false, ...options });
    servers.push(started);
    return started;
  }

  async function stub(answer: Parameters<typeof startStubApi>[0]): Promise<StubApi> {
    const started = await startStubApi(answer);
    servers.push(started);
    return started;
  }

  it('fails a task whose credential cannot be resolved as permanent, without calling the API', async () => {
    const api = await emulator({});

    const failure = run(
      handlerFor(api.url, { resolveCredential: createCredentialResolver({}) }),
      pageTask(1),
    );

    await expect(failure).rejects.toBeInstanceOf(NonRetryableError);
    await expect(failure).rejects.toThrow(/WTD_API_TOKEN is not set/);
    expect(api.stats().requests).toBe(0);
  });

  it('fails a rejected token with a permanent HttpStatusError whose message has no token', async () => {
    const api = await emulator({ tokens: ['some-other-token'] });

    const error = await run(handlerFor(api.url), pageTask(1)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect(errorText(error)).not.toContain(token);
  });

  it('fails a 429 as retryable, with the wait the emulator asked for', async () => {
    const api = await emulator({ burst429Rate: 1 });

    const error = await run(handlerFor(api.url), pageTask(1)).catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      name: 'HttpStatusError',
      status: 429,
      retryable: true,
      retryAfterMs: 1000,
    });
  });

  it('fails a 5xx as retryable', async () => {
    const api = await emulator({ faultRate: 1 });

    const error = await run(handlerFor(api.url), pageTask(1)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(HttpStatusError);
    expect(isRetryable(error)).toBe(true);
  });

  it('never takes a broken body for an empty last page', async () => {
    const api = await emulator({ malformedRate: 1, seed: 3 });

    for (let attempt = 0; attempt < 9; attempt += 1) {
      const error = await run(handlerFor(api.url), pageTask(totalPages)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(isRetryable(error)).toBe(true);
    }
  });

  it('fails an empty data array before the last page as retryable, not as the end of the search', async () => {
    const api = await stub((_request, response, url) =>
      sendJson(response, 200, {
        total_returned: 0,
        total_results: 25,
        total_pages: 3,
        limit,
        page: Number(url.searchParams.get('page')),
        data: [],
      }),
    );

    const error = await run(handlerFor(api.url), pageTask(2)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('fails a page whose total_pages contradicts its total_results as retryable, keeping the page for a tolerant run', async () => {
    const listings = matches.slice(0, limit);
    const api = await stub((_request, response) =>
      sendJson(response, 200, {
        total_returned: limit,
        total_results: 43,
        total_pages: 1,
        limit,
        page: 1,
        data: listings,
      }),
    );

    const error = await run(handlerFor(api.url), pageTask(1)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(IncompleteResultError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/total_pages is 1, but 43 results at 10 per page make 5/);
    expect((error as IncompleteResultError).result).toMatchObject({
      data: listings,
      nextTasks: [],
      expect: { records: 43, pages: 5 },
    });
  });

  it('fails a short page before the last, which the paginator refuses, as retryable, keeping the page', async () => {
    const listings = matches.slice(3 * limit, 3 * limit + 4);
    const api = await stub((_request, response) =>
      sendJson(response, 200, {
        total_returned: listings.length,
        total_results: 43,
        total_pages: 5,
        limit,
        page: 4,
        data: listings,
      }),
    );

    const error = await run(handlerFor(api.url), pageTask(4)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(IncompleteResultError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/the page has 4 records, not 10, yet it is not the last of 5/);
    expect((error as IncompleteResultError).result).toMatchObject({ data: listings, nextTasks: [] });
  });

  it('fails a request that times out as retryable, without the token', async () => {
    const api = await stub(() => {
      // Never answers: the handler's timeout must end the request.
    });

    const error = await run(handlerFor(api.url, { timeoutMs: 50 }), pageTask(1)).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(errorText(error)).not.toContain(token);
  });

  it('fails an unreachable base URL as retryable, without the token', async () => {
    const error = await run(handlerFor(await closedLoopbackUrl()), pageTask(1)).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(TransientError);
    expect(isRetryable(error)).toBe(true);
    expect(errorText(error)).not.toContain(token);
  });

  it("stops the request when the crawl's signal aborts", async () => {
    const api = await stub(() => {
      // Never answers: only the abort ends the request.
    });
    const controller = new AbortController();
    const reason = new Error('The crawl was unsubscribed.');

    const pending = run(handlerFor(api.url), pageTask(1), controller.signal);
    while (api.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
  });
});
