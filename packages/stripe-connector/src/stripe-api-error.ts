import { CapitalError, isTransientStatus } from '@capital/core';

/** What Stripe said about an error, besides its status. */
export type StripeErrorDetails = {
  /** `error.type`: `invalid_request_error`, `api_error`, `card_error`, `idempotency_error`… */
  readonly type?: string | undefined;
  /** `error.code`, e.g. `rate_limit`, `resource_missing`. */
  readonly stripeCode?: string | undefined;
  /** The `Stripe-Should-Retry` header: `true` or `false` when Stripe said, overriding the status. */
  readonly shouldRetry?: boolean | undefined;
  /** The server's `Retry-After`, in ms. */
  readonly retryAfterMs?: number | undefined;
  /** For a 429: the limiter that refused (`Stripe-Rate-Limited-Reason`), e.g. `global-rate`. */
  readonly rateLimitedReason?: string | undefined;
};

/**
 * An error answer of Stripe's API (`{"error":{"type","code","message"}}`). Retryable as Stripe's
 * own SDKs decide: `Stripe-Should-Retry` when present, otherwise 409 (a lock timeout), 408, 429
 * and 5xx. 401 is `authentication_error` (code `AUTHENTICATION`), 402 and 404 are permanent.
 * The message holds Stripe's wording with the secret key removed, never the key.
 */
export class StripeApiError extends CapitalError {
  override readonly retryable: boolean;
  readonly status: number;
  readonly type: string | undefined;
  readonly stripeCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly rateLimitedReason: string | undefined;
  /**
   * For a 429: the limiter layer to pause — `endpoint` when Stripe says an endpoint's limiter
   * refused, `account` when the global one did, undefined when it does not say (then the crawl
   * pauses the first layer, the account's).
   */
  readonly limiterLayer: 'account' | 'endpoint' | undefined;

  constructor(status: number, message: string, details: StripeErrorDetails = {}) {
    super(`HTTP ${status}: ${message}`, { code: status === 401 ? 'AUTHENTICATION' : 'HTTP_STATUS' });
    this.status = status;
    this.type = status === 401 ? 'authentication_error' : details.type;
    this.stripeCode = details.stripeCode;
    this.retryAfterMs = details.retryAfterMs;
    this.rateLimitedReason = details.rateLimitedReason;
    this.limiterLayer = layerOf(details.rateLimitedReason);
    this.retryable = details.shouldRetry ?? (status === 409 || isTransientStatus(status));
  }
  override name = 'StripeApiError' as const;
}

/** `endpoint-rate`, `endpoint-concurrency` → `endpoint`; `global-*` → `account`. */
function layerOf(reason: string | undefined): 'account' | 'endpoint' | undefined {
  if (reason === undefined) return undefined;
  if (reason.startsWith('endpoint')) return 'endpoint';
  return reason.startsWith('global') ? 'account' : undefined;
}

/**
 * Reads `Stripe-Should-Retry`: `true`, `false`, or undefined when absent or anything else.
 *
 * @example shouldRetryOf(new Headers({ 'stripe-should-retry': 'false' })) // false
 */
export function shouldRetryOf(headers: Headers): boolean | undefined {
  const value = headers.get('stripe-should-retry')?.trim().toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : undefined;
}
