import {
  AuthenticationError,
  HttpStatusError,
  InvalidResponseError,
  type JsonBody,
  parseRequestedWait,
  permitDispatcher,
  readJsonBody,
  redactText,
  requestFailure,
  requestSignal,
  type SendPermit,
  traceHttpCall,
} from '@capital/core';
import ky from 'ky';
import * as v from 'valibot';
import { fastStockSearchPage } from './fast-page-check.js';
import { searchQuery, stockSearchUrl } from './request-url.js';
import { errorBodySchema, type StockSearchPage, stockSearchPageSchema } from './schema.js';

/** The closed public API's address, for the record; the CLI uses the emulator unless told otherwise. */
export const worldTradingDataUrl = 'https://api.worldtradingdata.com';

/** What one stock-search request needs. */
export type StockSearchRequest = {
  readonly baseUrl: string;
  readonly token: string;
  readonly searchTerm: string;
  readonly limit: number;
  readonly page: number;
  /** Per request, in ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** The attempt's rate-limiter permit, checked just before the request is written. */
  readonly permit?: SendPermit | undefined;
};

/**
 * Fetches and validates one page of `GET /api/v1/stock_search`. Retrying is the crawl's job, so
 * ky's own retries are off; failures come back classified:
 *
 * - network errors, timeouts, 408, 429 (with its `Retry-After`), 5xx, bodies that are not JSON
 *   or not a page of listings → retryable;
 * - 401, 403, 404 and other 4xx, and a 200 whose error message says the key is refused
 *   (`{"Message":"Invalid API Key."}`, as the real API answered) → permanent.
 *
 * An invalid body is never taken for an empty last page. No message carries the token.
 */
export async function fetchStockSearchPage(request: StockSearchRequest): Promise<StockSearchPage> {
  const secrets = [request.token];
  // A client span, the child of the task attempt's (a no-op without an OpenTelemetry SDK).
  // The query but the token, for the request's URL and the span's alike.
  const search = searchQuery(request);
  const { response, body } = await traceHttpCall(
    { method: 'GET', url: spanUrl(request, search) },
    async (report) => {
      // The request's own signal (the crawl's abort, or the timeout), not ky's: see requestSignal.
      const attempt = requestSignal({ signal: request.signal, timeoutMs: request.timeoutMs });
      try {
        let response: Response;
        try {
          // The URL built here, not from `searchParams`: ky then builds one Request, not three.
          const url = stockSearchUrl(request, search);
          const options = {
            timeout: false as const,
            fetch: attempt.fetch,
            retry: 0,
            throwHttpErrors: false,
            // A permit that grew too old before the request went is spent, and a new one taken.
            ...(request.permit ? { dispatcher: permitDispatcher(request.permit, request.signal) } : {}),
          };
          response = await (url !== undefined
            ? ky.get(url, options)
            : ky.get('api/v1/stock_search', {
                ...options,
                prefixUrl: request.baseUrl,
                searchParams: {
                  search_term: request.searchTerm,
                  limit: request.limit,
                  page: request.page,
                  api_token: request.token,
                },
              }));
        } catch (error) {
          throw requestFailure(error, { signal: request.signal, timeoutMs: request.timeoutMs, secrets });
        }
        report.status(response.status, response.headers);
        return { response, body: await readJsonBody(response, { secrets, onBytes: report.bytes }) };
      } finally {
        attempt.release();
      }
    },
  );
  if (!response.ok) {
    const message = ('json' in body ? errorMessage(body.json) : undefined) ?? response.statusText;
    throw new HttpStatusError(response.status, redactText(message, secrets), {
      retryAfterMs: parseRequestedWait(response.status, response.headers),
    });
  }
  return parsePage(body, request);
}

/** The endpoint's URL without credentials, per base URL: built once, not on every page. */
const spanBases = new Map<string, string | undefined>();

/** The request's URL for its span: the token stays out, as do credentials in the base URL. */
function spanUrl(request: StockSearchRequest, search: string): string {
  let base = spanBases.get(request.baseUrl);
  if (base === undefined && !spanBases.has(request.baseUrl)) {
    base = spanBase(request.baseUrl);
    if (spanBases.size >= 64) spanBases.clear();
    spanBases.set(request.baseUrl, base);
  }
  if (base === undefined) return 'api/v1/stock_search';
  return `${base}?${search}`;
}

function spanBase(baseUrl: string): string | undefined {
  try {
    const url = new URL('api/v1/stock_search', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString();
  } catch {
    return undefined;
  }
}

function parsePage(read: JsonBody, request: StockSearchRequest): StockSearchPage {
  if ('unparsable' in read) {
    throw new InvalidResponseError(
      `The body is not valid JSON (truncated, or an HTML page): ${JSON.stringify(read.unparsable)}…`,
      { retryable: true },
    );
  }
  // A plainly valid page skips valibot (see fastStockSearchPage); anything else is valibot's to judge.
  const page = fastStockSearchPage(read.json) ?? validatedPage(read.json, request);
  if (page.page !== request.page) {
    throw new InvalidResponseError(`Asked for page ${request.page}, the API answered page ${page.page}.`, {
      retryable: true,
    });
  }
  if (page.data.length === 0 && page.page < page.total_pages) {
    throw new InvalidResponseError(
      `Page ${page.page} of ${page.total_pages} came back empty: listings are missing before the last page.`,
      { retryable: true },
    );
  }
  return page;
}

/** The body through valibot: the page it is, or the error that says what it is not. */
function validatedPage(body: unknown, request: StockSearchRequest): StockSearchPage {
  const parsed = v.safeParse(stockSearchPageSchema, body);
  if (!parsed.success) {
    const message = errorMessage(body);
    if (message !== undefined && isRefusedKey(message)) {
      // The real API refuses a key with a 200 and `{"Message":"Invalid API Key."}`: retrying
      // the same key would be refused the same way.
      throw new AuthenticationError(
        `The API refused the token (it answered 200 with: ${redactText(message, [request.token])})`,
      );
    }
    const problem = message
      ? `the API answered 200 with an error message: ${redactText(message, [request.token])}`
      : `it is not a page of listings (${v.summarize(parsed.issues).split('\n')[0]})`;
    // A flaky gateway sends such bodies; retrying is right, and after the last retry the task fails loudly.
    throw new InvalidResponseError(`Invalid stock search response: ${problem}`, { retryable: true });
  }
  return parsed.output;
}

function errorMessage(body: unknown): string | undefined {
  const parsed = v.safeParse(errorBodySchema, body);
  if (!parsed.success) return undefined;
  return 'message' in parsed.output ? parsed.output.message : parsed.output.Message;
}

/** Error messages that say the key itself is wrong, not that the service is having trouble. */
function isRefusedKey(message: string): boolean {
  return /\b(invalid|unknown|missing|wrong|revoked|expired)\b.*\bapi[ _-]?(key|token)\b|\bapi[ _-]?(key|token)\b.*\b(invalid|unknown|not valid|required|revoked|expired)\b|\bunauthori[sz]ed\b|\bauthenticat/i.test(
    message,
  );
}
