import { concatMap, from, map, type OperatorFunction } from 'rxjs';

/** A page that can be acknowledged, as `crawl` emits it. */
export type Acknowledgeable = { ack(): void };

/**
 * Writes each page with `write`, one at a time and in order, and acknowledges the page once the
 * write has resolved (the data is durable, or at least handed to the OS): the crawl's
 * backpressure then follows the writer's pace. Emits what `write` resolved to.
 *
 * @example pages$.pipe(ackAfter((page) => sink.write(page)))
 */
export function ackAfter<P extends Acknowledgeable, R>(
  write: (page: P) => Promise<R>,
): OperatorFunction<P, R> {
  return concatMap((page) => {
    // Only the acknowledgement is kept while the write runs: a writer that encodes the page at
    // once lets its records die while the bytes wait for the disk.
    const { ack } = page;
    return from(write(page)).pipe(
      map((written) => {
        ack();
        return written;
      }),
    );
  });
}
