import type { EmulatorError, EmulatorResponse, ErrorResponder } from '@capital/core/testing';
import { jsonResponse, withHeaders } from '@capital/core/testing';

/**
 * A Stripe error answer: `{ "error": { "type", "code"?, "message", "param"? } }`.
 *
 * @example stripeError(404, 'invalid_request_error', 'Unrecognized request URL (GET: /v1/nope).')
 */
export function stripeError(
  status: number,
  type: string,
  message: string,
  extra: { readonly code?: string; readonly param?: string } = {},
): EmulatorResponse {
  return jsonResponse(status, { error: { type, ...extra, message } });
}

/**
 * Which limiter refused, in a `Stripe-Rate-Limited-Reason` header as Stripe has been seen to send
 * on 429s (not part of its documented contract, so a client must cope without it), for the
 * emulator's layers: `global` → `global-rate`, `endpoint` → `endpoint-rate`, the concurrency
 * limit → `global-concurrency`; an injected burst says nothing.
 */
const reasons: Readonly<Record<string, string>> = {
  global: 'global-rate',
  endpoint: 'endpoint-rate',
  concurrency: 'global-concurrency',
};

/**
 * Words the emulator kit's own errors as Stripe does: 401 without the key, 404 for an unknown
 * URL, 429 `rate_limit` naming the limiter that refused, 5xx `api_error`. Stripe's SDKs read
 * `Stripe-Should-Retry`; the emulator sends it on 429 (`true`) as Stripe does.
 */
export const stripeErrorResponse: ErrorResponder = (error: EmulatorError) => {
  switch (error.code) {
    case 'unauthorized':
      return stripeError(401, 'invalid_request_error', error.message);
    case 'not_found':
    case 'method_not_allowed':
      return stripeError(error.status, 'invalid_request_error', 'Unrecognized request URL.');
    case 'rate_limited': {
      const reason = error.limit === undefined ? undefined : reasons[error.limit];
      const response = stripeError(
        429,
        'invalid_request_error',
        'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        { code: 'rate_limit' },
      );
      return withHeaders(response, {
        'stripe-should-retry': 'true',
        ...(reason === undefined ? {} : { 'stripe-rate-limited-reason': reason }),
      });
    }
    default:
      return stripeError(error.status, 'api_error', 'An unknown error occurred.');
  }
};
