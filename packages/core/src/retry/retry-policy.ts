import { InvalidOptionError, isCapitalError, NonRetryableError } from '../errors.js';

/** How transient failures are retried: exponential backoff with jitter, honouring `Retry-After`. */
export type RetryOptions = {
  /**
   * Retries after the first attempt; 0 turns retrying off.
   * @default 5
   */
  readonly retries?: number;
  /**
   * Growth of the delay from one retry to the next.
   * @default 2
   */
  readonly factor?: number;
  /**
   * The delay before the first retry, in ms.
   * @default 200
   */
  readonly minTimeoutMs?: number;
  /**
   * The longest delay between two attempts, in ms (a longer `Retry-After` still wins).
   * @default 30_000
   */
  readonly maxTimeoutMs?: number;
  /**
   * Multiplies each delay by a random factor from 1 to 2 (as p-retry's `randomize`), so that
   * workers that failed together do not retry together.
   * @default true
   */
  readonly randomize?: boolean;
  /**
   * A `Retry-After` longer than this fails the task instead of parking it, in ms.
   * @default 300_000
   */
  readonly maxRetryAfterMs?: number;
  /**
   * A `Retry-After` longer than this is read as this long, in ms: a broken or hostile server
   * must not park a crawl, or pause a limiter every process shares, for years. (Whether a long
   * wait is waited, deferred or failed is `maxRetryAfterMs`'s call, on the clamped value.)
   * @default 86_400_000 — a day
   */
  readonly retryAfterCapMs?: number;
};

/** {@link RetryOptions} with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** Fills in defaults and checks ranges once, where options enter the library. */
export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy: RetryPolicy = {
    retries: options.retries ?? 5,
    factor: options.factor ?? 2,
    minTimeoutMs: options.minTimeoutMs ?? 200,
    maxTimeoutMs: options.maxTimeoutMs ?? 30_000,
    randomize: options.randomize ?? true,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 300_000,
    retryAfterCapMs: options.retryAfterCapMs ?? defaultRetryAfterCapMs,
  };
  if (!(policy.retryAfterCapMs >= 0) || !Number.isFinite(policy.retryAfterCapMs)) {
    throw new InvalidOptionError(
      'retry.retryAfterCapMs',
      `must be a finite number of ms ≥ 0, got ${policy.retryAfterCapMs}.`,
    );
  }
  if (!Number.isInteger(policy.retries) || policy.retries < 0) {
    throw new InvalidOptionError('retry.retries', `must be a whole number ≥ 0, got ${policy.retries}.`);
  }
  if (!(policy.factor >= 1))
    throw new InvalidOptionError('retry.factor', `must be ≥ 1, got ${policy.factor}.`);
  if (!(policy.minTimeoutMs >= 0) || !(policy.maxTimeoutMs >= policy.minTimeoutMs)) {
    throw new InvalidOptionError('retry.minTimeoutMs', 'needs 0 ≤ minTimeoutMs ≤ maxTimeoutMs.');
  }
  return policy;
}

/** Network failures that Node reports by code; each may pass on the next attempt. */
const transientCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Whether a failure is worth another attempt: errors that say `retryable: true` (transient
 * HTTP statuses, invalid JSON, an unreachable limiter), network errors, timeouts and JSON syntax
 * errors. A {@link NonRetryableError} never is.
 */
export function isRetryable(error: unknown, depth = 0): boolean {
  if (error instanceof NonRetryableError) return false;
  if (isCapitalError(error)) return error.retryable;
  if (!(error instanceof Error)) return false;
  // The contract handlers are told (`Handler`): any Error that says `retryable: true` is retried.
  if ((error as { retryable?: unknown }).retryable === true) return true;
  if (error.name === 'TimeoutError' || error instanceof SyntaxError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && transientCodes.has(code)) return true;
  // fetch reports network failures as `TypeError: fetch failed` with the reason as its cause.
  // A few links of causes are plenty; a cycle of causes must not recurse forever.
  return error.cause !== undefined && depth < 4 && isRetryable(error.cause, depth + 1);
}

/** The `Retry-After` cap when none is configured: a day. */
const defaultRetryAfterCapMs = 86_400_000;

/**
 * The `Retry-After` that an error carries, in ms, if any, clamped to `capMs` (an absurd value,
 * such as a year, is read as the cap; a negative or non-finite one as none).
 */
export function retryAfterOf(error: unknown, capMs: number = defaultRetryAfterCapMs): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.min(value, capMs)
    : undefined;
}

/**
 * The delay before retry number `retry` (1 for the first): exponential backoff, jittered, and
 * never shorter than the server's `Retry-After`.
 */
export function retryDelay(
  retry: number,
  error: unknown,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const jitter = policy.randomize ? 1 + random() : 1;
  const backoff = Math.min(policy.minTimeoutMs * jitter * policy.factor ** (retry - 1), policy.maxTimeoutMs);
  return Math.round(Math.max(backoff, retryAfterOf(error, policy.retryAfterCapMs) ?? 0));
}
