import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import ky from 'ky';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestFailure } from './request-failure.js';
import { requestSignal } from './request-signal.js';

let server: Server;
let origin: string;
/** What the server does with each request; by default, nothing: it never answers. */
let answer: (request: IncomingMessage, response: ServerResponse) => void;
/** Requests the server holds, for the test to see that they arrived. */
let arrived: Promise<void>;
let noteArrival: () => void;

beforeEach(async () => {
  arrived = new Promise((resolve) => {
    noteArrival = resolve;
  });
  answer = () => {};
  server = createServer((request, response) => {
    noteArrival();
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('requestSignal', () => {
  it('aborts every request in flight under a crawl’s signal, with one listener on it', async () => {
    const crawl = new AbortController();
    const attempts = Array.from({ length: 20 }, () =>
      requestSignal({ signal: crawl.signal, timeoutMs: 60_000 }),
    );
    const released = attempts.splice(0, 5);
    for (const attempt of released) attempt.release();
    expect(getEventListeners(crawl.signal, 'abort')).toHaveLength(1);
    const reason = new Error('the run was stopped');
    crawl.abort(reason);

    expect(attempts.map((attempt) => attempt.signal.reason)).toEqual(attempts.map(() => reason));
    expect(released.every((attempt) => !attempt.signal.aborted)).toBe(true);
    for (const attempt of attempts) attempt.release();
  });

  it('aborts the request with the crawl’s reason', async () => {
    const crawl = new AbortController();
    const attempt = requestSignal({ signal: crawl.signal, timeoutMs: 60_000 });
    const request = ky.get(origin, { retry: 0, timeout: false, fetch: attempt.fetch });
    await arrived;
    const reason = new Error('the run was stopped');
    crawl.abort(reason);

    const error = await request.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(requestFailure(error, { signal: crawl.signal, timeoutMs: 60_000, secrets: [] })).toBe(reason);
    attempt.release();
  });

  it('times out while the headers do not come, as a TimeoutError', async () => {
    const crawl = new AbortController();
    const attempt = requestSignal({ signal: crawl.signal, timeoutMs: 50 });

    const error = await ky.get(origin, { retry: 0, timeout: false, fetch: attempt.fetch }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    attempt.release();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(requestFailure(error, { signal: crawl.signal, timeoutMs: 50, secrets: [] })).toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
    });
    expect(crawl.signal.aborted).toBe(false);
  });

  it('stops timing once the headers came (a body slower than the timeout is read whole), and lets go of the crawl’s signal on release', async () => {
    let finish: () => void = () => {};
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders();
      finish = () => response.end('{"ok":true}');
    };
    const crawl = new AbortController();
    const attempt = requestSignal({ signal: crawl.signal, timeoutMs: 2_000 });
    const response = await ky.get(origin, { retry: 0, timeout: false, fetch: attempt.fetch });
    // Past the timeout, counted from when the headers came (the timer, had it run on, fired).
    await sleep(2_300);
    finish();

    expect(await response.json()).toEqual({ ok: true });
    expect(attempt.signal.aborted).toBe(false);
    attempt.release();
    // Released once the body is read: the crawl's long-lived signal keeps no listener per request,
    // and a released request is not aborted with the crawl.
    expect(getEventListeners(crawl.signal, 'abort')).toHaveLength(1);
    crawl.abort(new Error('the run was stopped after the request'));
    expect(attempt.signal.aborted).toBe(false);
  });

  it('fails at once when the crawl was aborted before the request', async () => {
    const crawl = new AbortController();
    const reason = new Error('stopped before');
    crawl.abort(reason);
    const attempt = requestSignal({ signal: crawl.signal, timeoutMs: 60_000 });

    await expect(ky.get(origin, { retry: 0, timeout: false, fetch: attempt.fetch })).rejects.toBe(reason);
    expect(getEventListeners(crawl.signal, 'abort')).toHaveLength(0);
  });
});
