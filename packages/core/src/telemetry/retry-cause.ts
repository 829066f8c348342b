import { isCapitalError } from '../errors.js';
import { recordMetric } from './record-metric.js';

/**
 * A short, low-cardinality name for why an attempt failed, for the `capital.retry.cause`
 * attribute: `http_429`, `http_5xx`, `timeout`, `network`, `invalid_response`, or the error's
 * `code` in lower case. Never the message, which may hold anything the API sent.
 * @example retryCause(new HttpStatusError(503, 'Service Unavailable')) === 'http_5xx'
 */
export function retryCause(error: unknown): string {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return status === 429 ? 'http_429' : `http_${Math.floor(status / 100)}xx`;
  if (isCapitalError(error)) {
    // A worker's attempt error wraps the handler's: name the handler's.
    if (error.code === 'TASK_ATTEMPT_FAILED' && error.cause !== undefined) return retryCause(error.cause);
    return error.code.toLowerCase();
  }
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  return 'network';
}

/**
 * Counts one retry in `capital.retries`, by {@link retryCause}. The crawl does it for its own
 * retries; a queue that retries jobs calls it for each attempt it schedules again.
 * @example worker.on('failed', (job, error) => { if (!final) recordRetry(error); });
 */
export function recordRetry(error: unknown): void {
  recordMetric('capital.retries', 1, { 'capital.retry.cause': retryCause(error) });
}
