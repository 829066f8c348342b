import type { Observable, Subscription } from 'rxjs';
import type { Acknowledgeable } from './operators/ack-after.js';

/**
 * A `for await` view of a crawl. A page is acknowledged when the loop asks for the next one (or
 * leaves), so a slow loop body slows the crawl; the queue between them never holds more than
 * the crawl's `concurrency + buffer` pages. Leaving the loop early unsubscribes the crawl.
 *
 * @example
 * for await (const page of toAsyncIterable(seeds$.pipe(crawl(handler)))) {
 *   await writeSomewhere(page.data); // the next page is acknowledged-for only after this
 * }
 */
export function toAsyncIterable<P extends Acknowledgeable>(pages$: Observable<P>): AsyncIterable<P> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<P> {
      const queue: P[] = [];
      // Callers of next() not answered yet, in order (for await asks one at a time; others may not).
      const waiting: { resolve: (result: IteratorResult<P>) => void; reject: (error: unknown) => void }[] =
        [];
      let failure: { error: unknown } | undefined;
      let done = false;
      let current: P | undefined;
      let subscription: Subscription | undefined;

      const settleWaiting = (): void => {
        while (waiting.length > 0) {
          const page = queue.shift();
          if (page) {
            current = page;
            waiting.shift()?.resolve({ value: page, done: false });
          } else if (failure) {
            waiting.shift()?.reject(failure.error);
          } else if (done) {
            waiting.shift()?.resolve({ value: undefined, done: true });
          } else {
            return;
          }
        }
      };

      const finish = (): IteratorResult<P> => {
        current?.ack();
        current = undefined;
        subscription?.unsubscribe();
        done = true;
        queue.length = 0;
        settleWaiting();
        return { value: undefined, done: true };
      };

      return {
        next: () => {
          current?.ack();
          current = undefined;
          subscription ??= pages$.subscribe({
            next: (page) => {
              queue.push(page);
              settleWaiting();
            },
            error: (error: unknown) => {
              failure = { error };
              settleWaiting();
            },
            complete: () => {
              done = true;
              settleWaiting();
            },
          });
          return new Promise<IteratorResult<P>>((resolve, reject) => {
            waiting.push({ resolve, reject });
            settleWaiting();
          });
        },
        return: async () => finish(),
        throw: async (error: unknown) => {
          finish();
          throw error;
        },
      };
    },
  };
}
