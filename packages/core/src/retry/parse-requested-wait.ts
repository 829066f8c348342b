import { parseRateLimitHeaders } from '../limit/rate-limit-headers.js';
import { parseRetryAfter } from './parse-retry-after.js';

/**
 * How long an API asked us to wait before the next request, in ms: its `Retry-After` (see
 * {@link parseRetryAfter}); for a 429 that sends none, until the rate-limit window it names
 * resets (`RateLimit-Reset`, `X-RateLimit-Reset` — seconds, or seconds since the epoch when that
 * large — or the draft's `RateLimit: "p";r=0;t=3600`), since many APIs say when to come back
 * only that way. `undefined` when neither is stated.
 *
 * Headers are hostile: a reset that is not a plain whole number, is in the past or is over a
 * day away is dropped (see `parseRateLimitHeaders`); the caller's cap (`retryAfterCapMs`)
 * clamps what is left, as it clamps a `Retry-After`.
 *
 * @example parseRequestedWait(429, new Headers({ 'ratelimit-reset': '3600' })) // 3_600_000
 */
export function parseRequestedWait(
  status: number,
  headers: Headers,
  now: number = Date.now(),
): number | undefined {
  const retryAfter = parseRetryAfter(headers, now);
  if (retryAfter !== undefined || status !== 429) return retryAfter;
  return parseRateLimitHeaders(headers, now)?.resetMs;
}
