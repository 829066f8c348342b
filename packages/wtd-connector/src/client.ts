import {
  AuthenticationError,
  HttpStatusError,
  InvalidResponseError,
  isRetryable,
  NonRetryableError,
  parseRetryAfter,
  redactText,
  TransientError,
  traceHttpCall,
} from '@capital/core';
import ky from 'ky';
import * as v from 'valibot';
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
  const { response, body } = await traceHttpCall({ method: 'GET', url: spanUrl(request) }, async (report) => {
    let response: Response;
    try {
      response = await ky.get('api/v1/stock_search', {
        prefixUrl: request.baseUrl,
        searchParams: {
          search_term: request.searchTerm,
          limit: request.limit,
          page: request.page,
          api_token: request.token,
        },
        timeout: request.timeoutMs,
        retry: 0,
        throwHttpErrors: false,
        signal: request.signal ?? null,
      });
    } catch (error) {
      throw requestError(error, request, secrets);
    }
    report.status(response.status);
    return { response, body: await readBody(response, secrets, report.bytes) };
  });
  if (!response.ok) {
    const message = errorMessage(body) ?? response.statusText;
    throw new HttpStatusError(response.status, redactText(message, secrets), {
      retryAfterMs: parseRetryAfter(response.headers),
    });
  }
  return parsePage(body, request);
}

/** The request's URL for its span: the token stays out, as do credentials in the base URL. */
function spanUrl(request: StockSearchRequest): string {
  try {
    const url = new URL(
      'api/v1/stock_search',
      request.baseUrl.endsWith('/') ? request.baseUrl : `${request.baseUrl}/`,
    );
    url.username = '';
    url.password = '';
    url.search = new URLSearchParams({
      search_term: request.searchTerm,
      limit: String(request.limit),
      page: String(request.page),
    }).toString();
    return url.toString();
  } catch {
    return 'api/v1/stock_search';
  }
}

async function readBody(
  response: Response,
  secrets: readonly string[],
  onBytes: (count: number) => void,
): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new TransientError(`The response body broke off: ${describe(error, secrets)}`);
  }
  onBytes(Buffer.byteLength(text));
  try {
    return JSON.parse(text);
  } catch {
    // Redact before cutting: a token cut in two would no longer be found by any later redaction.
    return { unparsable: redactText(text, secrets).slice(0, 120) };
  }
}

function parsePage(body: unknown, request: StockSearchRequest): StockSearchPage {
  if (typeof body === 'object' && body !== null && 'unparsable' in body) {
    throw new InvalidResponseError(
      `The body is not valid JSON (truncated, or an HTML page): ${JSON.stringify((body as { unparsable: string }).unparsable.slice(0, 60))}…`,
      { retryable: true },
    );
  }
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
  const page = parsed.output;
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

/** ky's messages hold the request URL, and so the token: rebuild them without it, and without `cause`. */
function requestError(error: unknown, request: StockSearchRequest, secrets: readonly string[]): Error {
  if (request.signal?.aborted)
    return request.signal.reason instanceof Error ? request.signal.reason : new Error('Aborted.');
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new TransientError(`The request timed out after ${request.timeoutMs} ms.`, { code: 'TIMEOUT' });
  }
  const message = `The request failed: ${describe(error, secrets)}`;
  return isRetryable(error)
    ? new TransientError(message, { code: 'NETWORK' })
    : new NonRetryableError(message);
}

function describe(error: unknown, secrets: readonly string[]): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return redactText(`${error.message}${cause}`, secrets);
}
