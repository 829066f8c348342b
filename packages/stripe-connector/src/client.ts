import {
  InvalidResponseError,
  isRetryable,
  NonRetryableError,
  parseRetryAfter,
  redactText,
  TransientError,
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
};

/**
 * Fetches and validates one page of a Stripe list. Retrying is the crawl's job, so ky's own
 * retries are off; failures come back classified (see {@link StripeApiError}): network errors,
 * timeouts and bodies that are not a list are retryable; Stripe's error answers retry as
 * `Stripe-Should-Retry` says, or by status when it does not say. No message carries the key.
 */
export async function fetchStripeList(request: StripeListRequest): Promise<StripeList> {
  const secrets = [request.token];
  let response: Response;
  try {
    response = await ky.get(request.path, {
      prefixUrl: request.baseUrl,
      searchParams: { ...request.query },
      headers: { authorization: `Bearer ${request.token}` },
      timeout: request.timeoutMs,
      retry: 0,
      throwHttpErrors: false,
      signal: request.signal ?? null,
    });
  } catch (error) {
    throw requestError(error, request, secrets);
  }
  const body = await readBody(response, secrets);
  if (!response.ok) throw apiError(response, body, secrets);
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
    retryAfterMs: parseRetryAfter(response.headers),
    rateLimitedReason: response.headers.get('stripe-rate-limited-reason') ?? undefined,
  });
}

async function readBody(response: Response, secrets: readonly string[]): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new TransientError(`The response body broke off: ${describe(error, secrets)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    // Redact before cutting: a key cut in two would no longer be found by any later redaction.
    return new Unparsable(redactText(text, secrets).slice(0, 60));
  }
}

/** A body that is not JSON (truncated, or a proxy's HTML page). */
class Unparsable {
  constructor(readonly start: string) {}
}

function parseList(body: unknown, path: string): StripeList {
  if (body instanceof Unparsable) {
    throw new InvalidResponseError(
      `The body is not valid JSON (truncated, or an HTML page): ${JSON.stringify(body.start)}…`,
      { retryable: true },
    );
  }
  const parsed = v.safeParse(stripeListSchema, body);
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

/** ky's messages hold the request URL: rebuild them without it, and without `cause`. */
function requestError(error: unknown, request: StripeListRequest, secrets: readonly string[]): Error {
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
