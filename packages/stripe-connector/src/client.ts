import {
  InvalidResponseError,
  type JsonBody,
  parseRequestedWait,
  permitDispatcher,
  readJsonBody,
  redactText,
  reportApiAnswer,
  requestFailure,
  requestSignal,
  type SendPermit,
} from '@capital/core';
import ky from 'ky';
import * as v from 'valibot';
import { type StripeList, stripeErrorBodySchema, stripeListSchema } from './schema.js';
import { StripeApiError, shouldRetryOf } from './stripe-api-error.js';

/** Stripe's API, where `--base-url` is not given and the emulator is not wanted. */
export const stripeApiUrl = 'https://api.stripe.com';

/** What one list request needs. */
export type StripeListRequest = {
  readonly baseUrl: string;
  /** The secret key, `sk_…`; sent as `Authorization: Bearer`, never in a URL or a message. */
  readonly token: string;
  /** Relative to `baseUrl`, e.g. `v1/charges`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | number>>;
  /** Per request, in ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** The attempt's rate-limiter permit, checked just before the request is written. */
  readonly permit?: SendPermit | undefined;
};

/**
 * Fetches and validates one page of a Stripe list. Retrying is the crawl's job, so ky's own
 * retries are off; failures come back classified (see {@link StripeApiError}): network errors,
 * timeouts and bodies that are not a list are retryable; Stripe's error answers retry as
 * `Stripe-Should-Retry` says, or by status when it does not say. No message carries the key.
 */
export async function fetchStripeList(request: StripeListRequest): Promise<StripeList> {
  const secrets = [request.token];
  // The request's own signal (the crawl's abort, or the timeout), not ky's: see requestSignal.
  const attempt = requestSignal({ signal: request.signal, timeoutMs: request.timeoutMs });
  let response: Response;
  let body: JsonBody;
  try {
    try {
      response = await ky.get(request.path, {
        prefixUrl: request.baseUrl,
        searchParams: { ...request.query },
        headers: { authorization: `Bearer ${request.token}` },
        timeout: false,
        fetch: attempt.fetch,
        retry: 0,
        throwHttpErrors: false,
        // A permit that grew too old before the request went is spent, and a new one taken.
        ...(request.permit ? { dispatcher: permitDispatcher(request.permit, request.signal) } : {}),
      });
    } catch (error) {
      throw requestFailure(error, { signal: request.signal, timeoutMs: request.timeoutMs, secrets });
    }
    // Stripe states no limits in headers, but its 429s teach a limiter that learns the rate.
    reportApiAnswer(response.status, response.headers);
    body = await readJsonBody(response, { secrets });
  } finally {
    attempt.release();
  }
  if (!response.ok) throw apiError(response, 'json' in body ? body.json : undefined, secrets);
  return parseList(body, request.path);
}

function apiError(response: Response, body: unknown, secrets: readonly string[]): StripeApiError {
  const parsed = v.safeParse(stripeErrorBodySchema, body);
  const error = parsed.success ? parsed.output.error : undefined;
  const wording = error?.message ?? response.statusText;
  return new StripeApiError(response.status, redactText(wording, secrets), {
    type: error?.type,
    stripeCode: error?.code,
    shouldRetry: shouldRetryOf(response.headers),
    retryAfterMs: parseRequestedWait(response.status, response.headers),
    rateLimitedReason: response.headers.get('stripe-rate-limited-reason') ?? undefined,
  });
}

function parseList(body: JsonBody, path: string): StripeList {
  if ('unparsable' in body) {
    throw new InvalidResponseError(
      `The body is not valid JSON (truncated, or an HTML page): ${JSON.stringify(body.unparsable)}…`,
      { retryable: true },
    );
  }
  const parsed = v.safeParse(stripeListSchema, body.json);
  if (!parsed.success) {
    // A flaky gateway sends such bodies; retrying is right, and after the last retry the task fails loudly.
    throw new InvalidResponseError(
      `Invalid Stripe list from ${listName(path)}: ${v.summarize(parsed.issues).split('\n')[0]}`,
      { retryable: true },
    );
  }
  return parsed.output;
}

/** `v1/invoices/in_1/lines` → `invoice lines`: messages name the list, not the ids in its path. */
function listName(path: string): string {
  return path.includes('/lines') ? 'invoice lines' : (path.split('/')[1] ?? 'a list');
}
