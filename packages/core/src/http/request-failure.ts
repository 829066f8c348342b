import { NonRetryableError, TransientError } from '../errors.js';
import { redactText } from '../redact/redact-text.js';
import { isRetryable } from '../retry/retry-policy.js';

/** What {@link requestFailure} needs to know of the request that failed. */
export type RequestFailureOptions = {
  /** The request's signal: when aborted, its reason is the failure. */
  readonly signal?: AbortSignal | undefined;
  /** The request's timeout, in ms, for the message. */
  readonly timeoutMs: number;
  /** Secrets the request carried (its token); none of their spellings reaches the message. */
  readonly secrets: readonly string[];
};

/**
 * Turns what an HTTP client threw (no answer: a network error, a timeout, an abort) into an
 * error a crawl can classify: the signal's reason when aborted, a retryable `TIMEOUT` or
 * `NETWORK` error, or a permanent one. Clients such as ky put the request URL — and so a token
 * in its query — into their messages, so the message is rebuilt from the error and its cause,
 * redacted, and the original is not kept as `cause`.
 *
 * @example
 * try { response = await ky.get(url, { timeout, signal }); }
 * catch (error) { throw requestFailure(error, { signal, timeoutMs: timeout, secrets: [token] }); }
 */
export function requestFailure(error: unknown, options: RequestFailureOptions): Error {
  const { signal } = options;
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error('Aborted.');
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new TransientError(`The request timed out after ${options.timeoutMs} ms.`, { code: 'TIMEOUT' });
  }
  const message = `The request failed: ${describeFailure(error, options.secrets)}`;
  return isRetryable(error)
    ? new TransientError(message, { code: 'NETWORK' })
    : new NonRetryableError(message);
}

/**
 * An error's message and its cause's, with no spelling of `secrets`.
 * @example describeFailure(new TypeError('fetch failed', { cause }), [token])
 */
export function describeFailure(error: unknown, secrets: readonly string[]): string {
  if (!(error instanceof Error)) return redactText(String(error), secrets);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return redactText(`${error.message}${cause}`, secrets);
}
