import { from, lastValueFrom, map, type Observable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Handler } from '../task.js';
import { SyntheticSource, type SyntheticTask } from '../testing/synthetic-source.js';
import { toAsyncIterable } from '../to-async-iterable.js';
import { ackAfter } from './ack-after.js';
import { crawl } from './crawl.js';
import type { CrawlPage } from './crawl-config.js';
import { estimatePageBytes } from './page-bytes.js';

/** 200 pages: a root of 20 pages, each of which fans out into a sub-source of 9 pages. */
const source = new SyntheticSource({
  sources: [{ records: 20, pageSize: 1 }, ...Array.from({ length: 20 }, () => ({ records: 9, pageSize: 1 }))],
  links: Array.from({ length: 20 }, (_, page) => ({ child: page + 1, parent: 0, page })),
});

/** Lets other callbacks run: `n` turns of the event loop, no timers. */
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

/**
 * Counts pages started (at the handler's first attempt) and acknowledged, and the most that
 * were started and not yet acknowledged at any moment. The handler takes one turn of the
 * event loop; the consumer takes three per page, so it is the slow side.
 */
function meter() {
  const counts = { started: 0, acknowledged: 0, most: 0 };
  const handler: Handler<SyntheticTask, string> = async (task) => {
    counts.started += 1;
    counts.most = Math.max(counts.most, counts.started - counts.acknowledged);
    await turns(1);
    return source.page(task);
  };
  const counted = map((page: CrawlPage<SyntheticTask, string>) => ({
    ...page,
    ack: () => {
      counts.acknowledged += 1;
      page.ack();
    },
  }));
  const pages = (options: {
    concurrency: number;
    buffer: number;
    bufferRecords?: number;
  }): Observable<CrawlPage<SyntheticTask, string>> =>
    of(source.seed()).pipe(crawl(handler, options), counted);
  return { counts, pages };
}

const bounds = [
  { bound: '1 + 0', concurrency: 1, buffer: 0 },
  { bound: '3 + 0', concurrency: 3, buffer: 0 },
  { bound: '2 + 5', concurrency: 2, buffer: 5 },
  { bound: '4 + 8', concurrency: 4, buffer: 8 },
];

describe('crawl with a slow consumer', () => {
  it('has 200 pages to crawl', () => {
    expect(source.pageTotal()).toBe(200);
  });

  it.each(bounds)(
    'keeps at most, and reaches, concurrency + buffer pages unacknowledged behind ackAfter ($bound)',
    async ({ concurrency, buffer }) => {
      const { counts, pages } = meter();

      const written = await lastValueFrom(
        pages({ concurrency, buffer }).pipe(
          ackAfter(async (page) => {
            await turns(3);
            return page.data.length;
          }),
          map((_, index) => index + 1),
        ),
      );

      expect(written).toBe(200);
      expect(counts).toEqual({ started: 200, acknowledged: 200, most: concurrency + buffer });
    },
  );

  it.each(bounds)(
    'keeps at most, and reaches, concurrency + buffer pages unacknowledged behind for await ($bound)',
    async ({ concurrency, buffer }) => {
      const { counts, pages } = meter();
      const records: string[] = [];

      for await (const page of toAsyncIterable(pages({ concurrency, buffer }))) {
        await turns(3);
        records.push(...page.data);
      }

      expect(records.sort()).toEqual(source.records());
      expect(counts).toEqual({ started: 200, acknowledged: 200, most: concurrency + buffer });
    },
  );

  // Every page holds one record: a task starts only while fewer than bufferRecords wait, and
  // each of the `concurrency` tasks then in flight may add its page.
  it.each([
    { concurrency: 1, bufferRecords: 5 },
    { concurrency: 3, bufferRecords: 7 },
  ])(
    'keeps at most bufferRecords + concurrency - 1 one-record pages unacknowledged, and reaches bufferRecords, when the buffer in pages is larger (concurrency $concurrency, bufferRecords $bufferRecords)',
    async ({ concurrency, bufferRecords }) => {
      const { counts, pages } = meter();

      const written = await lastValueFrom(
        pages({ concurrency, buffer: 100, bufferRecords }).pipe(
          ackAfter(async (page) => {
            await turns(3);
            return page.data.length;
          }),
          map((_, index) => index + 1),
        ),
      );

      expect(written).toBe(200);
      expect(counts.acknowledged).toBe(200);
      expect(counts.most).toBeGreaterThanOrEqual(bufferRecords);
      expect(counts.most).toBeLessThanOrEqual(bufferRecords + concurrency - 1);
    },
  );
});

describe('crawl with a slow consumer and large pages', () => {
  /** 60 seeds, each a page of one 1000-character record: 1,040 bytes a page as estimated. */
  const pageBytes = estimatePageBytes(['x'.repeat(1000)]);
  type Seed = { readonly type: 'seed'; readonly page: number };
  const counts = { started: 0, acknowledged: 0, most: 0 };
  const handler: Handler<Seed, string> = async (task) => {
    counts.started += 1;
    counts.most = Math.max(counts.most, counts.started - counts.acknowledged);
    await turns(1);
    return {
      task,
      data: [`${task.page}`.padEnd(1000, 'x')],
      nextTasks: [],
    };
  };

  it.each([
    { concurrency: 1, pages: 5 },
    { concurrency: 3, pages: 7 },
  ])(
    'keeps at most bufferBytes + concurrency - 1 pages of bytes unacknowledged, and reaches bufferBytes, when the buffer in pages is larger (concurrency $concurrency, bufferBytes $pages pages)',
    async ({ concurrency, pages }) => {
      Object.assign(counts, { started: 0, acknowledged: 0, most: 0 });
      const seeds = Array.from({ length: 60 }, (_, page): Seed => ({ type: 'seed', page }));

      const written = await lastValueFrom(
        from(seeds).pipe(
          crawl(handler, { concurrency, buffer: 100, bufferBytes: pages * pageBytes }),
          map((page) => ({
            ...page,
            ack: () => {
              counts.acknowledged += 1;
              page.ack();
            },
          })),
          ackAfter(async (page) => {
            await turns(3);
            return page.data.length;
          }),
          map((_, index) => index + 1),
        ),
      );

      expect(written).toBe(60);
      expect(counts.most).toBeGreaterThanOrEqual(pages);
      expect(counts.most).toBeLessThanOrEqual(pages + concurrency - 1);
    },
  );
});
