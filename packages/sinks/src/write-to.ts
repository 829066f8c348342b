import { type CrawlPage, InvalidOptionError, type Task } from '@capital/core';
import { Observable, type OperatorFunction } from 'rxjs';
import type { PageReceipt, Sink } from './sink.js';

/**
 * Writes each crawled page to a sink and acknowledges it to the crawl once the sink says it is
 * durable: the crawl can never run more than `concurrency + buffer` pages ahead of the sink.
 * Up to `sink.maxPendingWrites` writes are in flight at once (one at a time, in order, for a
 * sink that does not say); each page is acknowledged as soon as its own write has resolved, and
 * the sink's receipts are emitted in that order. It fails with the first write that fails. The
 * crawl's last page goes with `last: true`, so that the sink can finish the run in that page's
 * transaction (see `SinkPage.last`).
 *
 * ```text
 * pages      a-b-c-----d--
 * writes     [a b c]   [d]      maxPendingWrites 3: a, b and c go to the sink at once
 * receipts   ------(bac)--d     each acknowledged when its write resolves
 * ```
 *
 * It behaves as `mergeMap(write, maxPendingWrites)` would, without an inner subscription per
 * page: with small pages and hundreds in flight, those (and removing each from the hundreds of
 * its siblings) cost more than the page's own bookkeeping.
 *
 * @throws {InvalidOptionError} when `sink.maxPendingWrites` is not a whole number ≥ 1.
 * @example seeds$.pipe(crawl(handler), writeTo(sink))
 */
export function writeTo<T extends Task, D>(sink: Sink<D>): OperatorFunction<CrawlPage<T, D>, PageReceipt> {
  const pending = sink.maxPendingWrites ?? 1;
  if (!Number.isSafeInteger(pending) || pending < 1) {
    throw new InvalidOptionError('maxPendingWrites', `must be a whole number ≥ 1, got ${pending}.`);
  }
  return (source) =>
    new Observable<PageReceipt>((subscriber) => {
      /** Pages that came while `pending` writes were in flight, oldest first. */
      const queued: CrawlPage<T, D>[] = [];
      let inFlight = 0;
      let sourceDone = false;
      const fail = (error: unknown) => {
        queued.length = 0;
        subscriber.error(error);
      };
      const settled = () => {
        inFlight -= 1;
        while (queued.length > 0 && inFlight < pending && !subscriber.closed) {
          start(queued.shift() as CrawlPage<T, D>);
        }
        if (sourceDone && inFlight === 0 && queued.length === 0) subscriber.complete();
      };
      const start = (page: CrawlPage<T, D>) => {
        inFlight += 1;
        // Only the acknowledgement is kept, not the page: a sink that encodes a page at once lets
        // its records die while the bytes wait for the disk.
        const { ack } = page;
        let written: Promise<PageReceipt>;
        try {
          written = sink.write({
            key: page.key,
            task: page.task,
            data: page.data,
            nextTasks: page.nextTasks,
            fetchedAt: page.fetchedAt,
            ...(page.last === true ? { last: true } : {}),
          });
        } catch (error) {
          fail(error);
          return;
        }
        written.then(
          (receipt) => {
            if (subscriber.closed) return;
            try {
              ack();
            } catch (error) {
              fail(error);
              return;
            }
            subscriber.next(receipt);
            settled();
          },
          (error: unknown) => {
            if (!subscriber.closed) fail(error);
          },
        );
      };
      const subscription = source.subscribe({
        next: (page) => {
          if (inFlight < pending) start(page);
          else queued.push(page);
        },
        error: fail,
        complete: () => {
          sourceDone = true;
          if (inFlight === 0 && queued.length === 0) subscriber.complete();
        },
      });
      return () => {
        queued.length = 0;
        subscription.unsubscribe();
      };
    });
}
