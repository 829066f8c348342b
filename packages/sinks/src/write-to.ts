import { type CrawlPage, InvalidOptionError, type Task } from '@capital/core';
import { from, map, mergeMap, type OperatorFunction } from 'rxjs';
import type { PageReceipt, Sink } from './sink.js';

/**
 * Writes each crawled page to a sink and acknowledges it to the crawl once the sink says it is
 * durable: the crawl can never run more than `concurrency + buffer` pages ahead of the sink.
 * Up to `sink.maxPendingWrites` writes are in flight at once (one at a time, in order, for a
 * sink that does not say); each page is acknowledged as soon as its own write has resolved, and
 * the sink's receipts are emitted in that order. The crawl's last page goes with `last: true`,
 * so that the sink can finish the run in that page's transaction (see `SinkPage.last`).
 *
 * ```text
 * pages      a-b-c-----d--
 * writes     [a b c]   [d]      maxPendingWrites 3: a, b and c go to the sink at once
 * receipts   ------(bac)--d     each acknowledged when its write resolves
 * ```
 *
 * @throws {InvalidOptionError} when `sink.maxPendingWrites` is not a whole number ≥ 1.
 * @example seeds$.pipe(crawl(handler), writeTo(sink))
 */
export function writeTo<T extends Task, D>(sink: Sink<D>): OperatorFunction<CrawlPage<T, D>, PageReceipt> {
  const pending = sink.maxPendingWrites ?? 1;
  if (!Number.isSafeInteger(pending) || pending < 1) {
    throw new InvalidOptionError('maxPendingWrites', `must be a whole number ≥ 1, got ${pending}.`);
  }
  return mergeMap((page) => {
    // Only the acknowledgement is kept, not the page: a sink that encodes a page at once lets
    // its records die while the bytes wait for the disk.
    const { ack } = page;
    return from(
      sink.write({
        key: page.key,
        task: page.task,
        data: page.data,
        nextTasks: page.nextTasks,
        fetchedAt: page.fetchedAt,
        ...(page.last === true ? { last: true } : {}),
      }),
    ).pipe(
      map((receipt) => {
        ack();
        return receipt;
      }),
    );
  }, pending);
}
