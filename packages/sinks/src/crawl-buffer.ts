import type { Sink } from './sink.js';

/** The crawl's bounds on pages fetched and not yet acknowledged (its `buffer`, `bufferRecords`, `bufferBytes`). */
export type CrawlBuffer = {
  readonly buffer: number;
  readonly bufferRecords?: number;
  readonly bufferBytes?: number;
};

/**
 * How far a crawl feeding `sink` may fetch ahead of it, when the user has not said (`buffer`
 * undefined): 2 × `concurrency` pages, as before, or, for a sink that groups writes by records
 * (`maxPendingRecords`), enough pages to fill its `maxPendingWrites` but no more than
 * `maxPendingRecords` records. Small pages then run far enough ahead to be committed in large
 * groups (one disk flush for many pages), while large pages stay as few as before; the
 * sink's records are then the bound, not the crawl's default `bufferBytes` (1 MiB), which would
 * cut its groups (20,000 listing-shaped rows are ~4.5 MiB as the crawl estimates them).
 *
 * @example crawl(handler, { concurrency, ...crawlBuffer(concurrency, undefined, sink) })
 */
export function crawlBuffer(
  concurrency: number,
  buffer: number | undefined,
  sink: Pick<Sink, 'maxPendingWrites' | 'maxPendingRecords'>,
): CrawlBuffer {
  if (buffer !== undefined) return { buffer };
  const pages = concurrency * 2;
  const records = sink.maxPendingRecords;
  if (records === undefined) return { buffer: pages };
  return {
    buffer: Math.max(pages, (sink.maxPendingWrites ?? 1) - concurrency),
    bufferRecords: records,
    bufferBytes: Number.POSITIVE_INFINITY,
  };
}
