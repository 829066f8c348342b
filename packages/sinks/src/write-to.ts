import { ackAfter, type CrawlPage, type Task } from '@capital/core';
import type { OperatorFunction } from 'rxjs';
import type { PageReceipt, Sink } from './sink.js';

/**
 * Writes each crawled page to a sink, one at a time, and acknowledges it to the crawl once the
 * sink says it is durable: the crawl can never run more than `concurrency + buffer` pages ahead
 * of the sink. Emits the sink's receipts.
 *
 * @example seeds$.pipe(crawl(handler), writeTo(sink))
 */
export function writeTo<T extends Task, D>(sink: Sink<D>): OperatorFunction<CrawlPage<T, D>, PageReceipt> {
  return ackAfter((page) =>
    sink.write({
      key: page.key,
      task: page.task,
      data: page.data,
      nextTasks: page.nextTasks,
      fetchedAt: page.fetchedAt,
    }),
  );
}
