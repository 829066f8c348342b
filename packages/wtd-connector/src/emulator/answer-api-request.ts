import type { EmulatorResponse } from './emulator-response.js';
import {
  errorResponse,
  jsonResponse,
  malformedPage,
  serverError,
  tooManyRequests,
} from './emulator-response.js';
import type { FaultDecision } from './faults.js';
import type { RollingWindowLimiter } from './rolling-window-limiter.js';
import type { StockSearchOutcome, StockSearchQuery } from './stock-search.js';

/** The path of World Trading Data's stock search. */
export const STOCK_SEARCH_PATH = '/api/v1/stock_search';

/** Retry-After of an injected 429, which has no window to measure: one second, as is common. */
const BURST_RETRY_AFTER_MS = 1000;

/** What the emulator needs to answer one API request. */
export type ApiContext = {
  readonly tokens: ReadonlySet<string>;
  /** `undefined` when rate limiting is off. */
  readonly limiter: RollingWindowLimiter | undefined;
  readonly now: () => number;
  readonly decideFault: () => FaultDecision;
  readonly search: (params: URLSearchParams) => StockSearchOutcome;
};

/** An answer and what the stats should learn from it. */
export type ApiAnswer = {
  readonly response: EmulatorResponse;
  /** Whether the body was broken on purpose. */
  readonly malformed: boolean;
  /** The page served, when it was a good page. */
  readonly served: StockSearchQuery | undefined;
};

/**
 * Decides the answer to one request, in the order a real API gateway would:
 *
 * 1. any path but {@link STOCK_SEARCH_PATH} → 404; any method but GET → 405;
 * 2. a missing or unknown `api_token` → 401, the token never echoed back;
 * 3. over the token's rate limit → 429 (the request takes no slot);
 * 4. an invalid query → 400 (always, whatever the fault injection says, so client bugs show);
 * 5. an injected fault, if one is drawn: 429, 5xx or a broken 200;
 * 6. the page.
 *
 * @param method - The HTTP method.
 * @param url - The request URL.
 * @param context - Tokens, limiter, clock, fault injector and search.
 * @returns The answer and what to record.
 * @example answerApiRequest('GET', new URL('http://x/nope'), context).response.status // 404
 */
export function answerApiRequest(method: string, url: URL, context: ApiContext): ApiAnswer {
  if (url.pathname !== STOCK_SEARCH_PATH) return plain(errorResponse(404, 'Not found.'));
  if (method !== 'GET') return plain(errorResponse(405, 'Method not allowed.', { allow: 'GET' }));

  const token = url.searchParams.get('api_token');
  if (token === null || !context.tokens.has(token)) return plain(errorResponse(401, 'Invalid API token.'));

  const decision = context.limiter?.check(token, context.now()) ?? { allowed: true };
  if (!decision.allowed) return plain(tooManyRequests(decision.retryAfterMs));

  const outcome = context.search(url.searchParams);
  if (!outcome.ok) return plain(outcome.response);

  const fault = context.decideFault();
  switch (fault.kind) {
    case 'burst-429':
      return plain(tooManyRequests(BURST_RETRY_AFTER_MS));
    case 'server-error':
      return plain(serverError(fault.status, fault.body));
    case 'malformed':
      return { response: malformedPage(outcome.page, fault.body), malformed: true, served: undefined };
    case 'none':
      return { response: jsonResponse(200, outcome.page), malformed: false, served: outcome.query };
  }
}

function plain(response: EmulatorResponse): ApiAnswer {
  return { response, malformed: false, served: undefined };
}
