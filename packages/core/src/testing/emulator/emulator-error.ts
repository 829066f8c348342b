import type { EmulatorResponse } from './emulator-response.js';
import { jsonResponse } from './emulator-response.js';

/** Why the kit answers a request itself instead of passing it to a route. */
export type EmulatorErrorCode =
  /** No route has the path: 404. */
  | 'not_found'
  /** A route has the path, not the method: 405 (with `Allow`). */
  | 'method_not_allowed'
  /** The token check failed: 401. */
  | 'unauthorized'
  /** A rate limit, the concurrency limit or an injected burst refused the request: 429. */
  | 'rate_limited'
  /** An injected server error with a JSON body: 500, 502 or 503. */
  | 'server_error'
  /** A request body larger than the emulator reads: 413. */
  | 'payload_too_large'
  /** A route threw: 500. */
  | 'internal';

/** An error the kit is about to answer; the API's own `errorResponse` words it. */
export type EmulatorError = {
  readonly status: number;
  readonly code: EmulatorErrorCode;
  /** A default wording, e.g. `Not found.`; never holds a token. */
  readonly message: string;
  /** For `rate_limited`: when the client may try again, when the limit says so. */
  readonly retryAfterMs?: number;
  /**
   * For `rate_limited`: what refused the request: a rate limit layer's name, `concurrency`, or
   * `burst` for an injected 429.
   */
  readonly limit?: string;
};

/**
 * Words a kit error in the API's own error shape. The kit adds its headers afterwards
 * (`Allow`, `Retry-After`, `RateLimit-*`), so the callback only chooses status and body.
 *
 * @example
 * // Stripe's shape
 * const stripeError: ErrorResponder = (error) =>
 *   jsonResponse(error.status, { error: { type: 'invalid_request_error', code: error.code, message: error.message } });
 */
export type ErrorResponder = (error: EmulatorError) => EmulatorResponse;

/**
 * The default {@link ErrorResponder}: `{ "error": { "code": …, "message": … } }`.
 *
 * @param error - The error to word.
 * @returns A JSON response with the error's status.
 * @example defaultErrorResponse({ status: 404, code: 'not_found', message: 'Not found.' }).status // 404
 */
export const defaultErrorResponse: ErrorResponder = (error) =>
  jsonResponse(error.status, { error: { code: error.code, message: error.message } });
