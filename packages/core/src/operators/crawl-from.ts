import { isObservable, type Observable } from 'rxjs';
import { InvalidOptionError } from '../errors.js';
import type { LazyHandler, Task } from '../task.js';
import { type CrawlOptions, type CrawlPage, resolveCrawlConfig } from './crawl-config.js';
import { type CrawlSeeds, crawlSeeds } from './crawl-internals.js';

/**
 * `crawl` from seeds it pulls itself: an Iterable or AsyncIterable is drawn one seed at a time,
 * only when a task can start, so a source of millions of seeds (a file read line by line, a
 * database cursor) is never read ahead of the crawl. An Observable is taken as `crawl` takes it.
 *
 * @example
 * crawlFrom(readSeeds('seeds.ndjson'), handler, { concurrency: 8 }).pipe(writeTo(sink))
 */
export function crawlFrom<T extends Task, D>(
  seeds: CrawlSeeds<T>,
  handler: LazyHandler<T, D>,
  options: CrawlOptions<T> = {},
): Observable<CrawlPage<T, D>> {
  const config = resolveCrawlConfig(options);
  if (!isSeeds(seeds)) {
    throw new InvalidOptionError('seeds', 'must be an Iterable, an AsyncIterable or an Observable.');
  }
  return crawlSeeds(seeds, handler, config);
}

function isSeeds(value: unknown): boolean {
  if (isObservable(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<symbol | string, unknown>;
  return (
    typeof candidate[Symbol.iterator] === 'function' || typeof candidate[Symbol.asyncIterator] === 'function'
  );
}
