import { sendJson, startStubApi } from '../../wtd-connector/test/stub-api.js';
import { honestPage } from './lying-api.js';

/** A stock-search API whose quota runs out after some pages, until the test resets it. */
export type QuotaApi = {
  readonly url: string;
  /** The `page` of every request answered 200, in order. */
  readonly served: readonly number[];
  /** How many requests were refused with 429. */
  readonly refused: () => number;
  /** Ends the pause: every request is answered again. */
  release(): void;
  close(): Promise<void>;
};

/**
 * Starts, on 127.0.0.1, the "new york" stock search (431 listings, 9 pages) answering the first
 * `pages` requests and then `429` with `Retry-After: retryAfter` and `refusalHeaders` (a spent
 * daily quota) until `release()`. It counts at the receiver, so a test sees what reached the API.
 */
export async function startQuotaApi(options: {
  readonly pages: number;
  /** The `Retry-After` of each 429; none when absent. */
  readonly retryAfter?: string;
  /** Other headers of each 429 (a rate-limit reset, say). */
  readonly refusalHeaders?: Readonly<Record<string, string>>;
}): Promise<QuotaApi> {
  const served: number[] = [];
  let refused = 0;
  let released = false;
  const stub = await startStubApi((_request, response, url) => {
    const page = Number(url.searchParams.get('page') ?? '1');
    if (!released && served.length >= options.pages) {
      refused += 1;
      if (options.retryAfter !== undefined) response.setHeader('retry-after', options.retryAfter);
      for (const [name, value] of Object.entries(options.refusalHeaders ?? {}))
        response.setHeader(name, value);
      sendJson(response, 429, { message: 'Daily request quota exceeded.' });
      return;
    }
    served.push(page);
    sendJson(response, 200, honestPage(page));
  });
  return {
    url: stub.url,
    served,
    refused: () => refused,
    release: () => {
      released = true;
    },
    close: () => stub.close(),
  };
}
