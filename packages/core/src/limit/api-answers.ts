import { AsyncLocalStorage } from 'node:async_hooks';
import { Observable } from 'rxjs';
import type { ApiAnswer } from './rate-learning.js';

/** Who hears the answers of the attempt running in this async context (its limiter). */
const listeners = new AsyncLocalStorage<(answer: ApiAnswer) => void>();

/**
 * Tells the crawl what the API answered a request: its status and headers, from which a
 * limiter with a learnt rate (`--rate auto`) learns. `traceHttpCall`'s `report.status(status,
 * headers)` calls it; a client that does not use `traceHttpCall` calls it once per response.
 * Outside an attempt of a crawl with such a limiter, it does nothing.
 *
 * @example
 * const response = await fetch(url, { signal });
 * reportApiAnswer(response.status, response.headers);
 */
export function reportApiAnswer(status: number, headers?: Headers): void {
  const listener = listeners.getStore();
  if (listener === undefined || !Number.isInteger(status)) return;
  try {
    listener({ status, headers });
  } catch {
    // Learning is advice: it never fails the request that taught it.
  }
}

/**
 * Subscribes to `source` (one attempt: the handler call) with `listener` hearing every
 * {@link reportApiAnswer} made in its async context, promise continuations included.
 */
export function listenForApiAnswers<T>(
  listener: ((answer: ApiAnswer) => void) | undefined,
  source: Observable<T>,
): Observable<T> {
  if (listener === undefined) return source;
  return new Observable<T>((subscriber) => listeners.run(listener, () => source.subscribe(subscriber)));
}
