import { lastValueFrom, type Observable, Subject, type Subscription, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, InvalidTaskResultError } from '../errors.js';
import type { HandlerResult, LazyHandler, Task } from '../task.js';
import { crawl } from './crawl.js';
import type { CrawlOptions, CrawlPage } from './crawl-config.js';
import { crawlFrom } from './crawl-from.js';

type Item = { readonly type: string; readonly n: number };

const item = (type: string, n: number): Item => ({ type, n });

/** A seed whose key computation is counted: `canonicalJson` reads every field once per key. */
function countedSeed(n: number, reads: { count: number }): Item {
  return {
    type: 'seed',
    get n() {
      reads.count += 1;
      return n;
    },
  };
}

/** Every task has one record; seeds lead to `fanOut(seed)`, others to nothing. */
function handlerOf(fanOut: (task: Item) => HandlerResult<Item, number>['nextTasks'] = () => []) {
  return async (task: Item): Promise<HandlerResult<Item, number>> => ({
    task,
    // Not `task.n`: a counted seed must be read only to compute its key.
    data: [1],
    nextTasks: task.type === 'seed' ? fanOut(task) : [],
  });
}

/** Runs to the end, acknowledging every page at once. */
function crawlAll(pages$: Observable<CrawlPage<Item, number>>): Promise<CrawlPage<Item, number>[]> {
  return lastValueFrom(
    pages$.pipe(
      tap((page) => page.ack()),
      toArray(),
    ),
  );
}

/** Lets every pending promise and immediate run, a few rounds over. */
async function settle(rounds = 20): Promise<void> {
  for (let round = 0; round < rounds; round += 1) await new Promise((resolve) => setImmediate(resolve));
}

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

/** Subscribes without ever acknowledging: the crawl stalls once its bound is full. */
function holdPages<T extends Task, D>(pages$: Observable<CrawlPage<T, D>>): CrawlPage<T, D>[] {
  const pages: CrawlPage<T, D>[] = [];
  subscriptions.push(pages$.subscribe({ next: (page) => pages.push(page) }));
  return pages;
}

const bounded: CrawlOptions<Item> = { concurrency: 2, buffer: 1, retry: false };

/** States that must come, on a machine that may be busy. */
const patience = { timeout: 30_000, interval: 5 };

describe('crawl draws its seeds as it has room', { timeout: 60_000 }, () => {
  it('keys an Observable’s seeds only as tasks can start, not as they arrive', async () => {
    const reads = { count: 0 };
    const seeds = new Subject<Item>();
    const pages = holdPages(seeds.pipe(crawl(handlerOf(), bounded)));
    for (let n = 0; n < 100; n += 1) seeds.next(countedSeed(n, reads));
    await vi.waitFor(() => expect(pages.length).toBe(3), patience);
    await settle();

    // concurrency + buffer = 3 pages unacknowledged: 3 seeds keyed, the other 97 wait unkeyed.
    expect(reads.count).toBe(3);
    pages[0]?.ack();
    await vi.waitFor(() => expect(pages.length).toBe(4), patience);
    await settle();
    expect(reads.count).toBe(4);
  });

  it('pulls an AsyncIterable of seeds only as tasks can start', async () => {
    let pulled = 0;
    async function* seeds(): AsyncGenerator<Item> {
      for (let n = 0; n < 1_000; n += 1) {
        pulled += 1;
        yield item('seed', n);
      }
    }
    const pages = holdPages(crawlFrom(seeds(), handlerOf(), bounded));
    await vi.waitFor(() => expect(pages.length).toBe(3), patience);
    await settle();

    expect(pulled).toBe(3);
    for (const page of pages.splice(0)) page.ack();
    await vi.waitFor(() => expect(pages.length).toBe(3), patience);
    await settle();
    expect(pulled).toBe(6);
  });

  it('crawls every seed of an Iterable, each once', async () => {
    const seeds = [item('seed', 1), item('seed', 2), item('seed', 1)];
    const pages = await crawlAll(crawlFrom(seeds, handlerOf(), bounded));

    expect(pages.map((page) => page.task.n)).toEqual([1, 2]);
  });

  it('rejects seeds that are neither iterable nor an Observable', () => {
    expect(() => crawlFrom(42 as unknown as Item[], handlerOf())).toThrow(InvalidOptionError);
  });
});

describe('crawl draws lazy next tasks as it has room', { timeout: 60_000 }, () => {
  it('does not drain a generator of a million next tasks ahead of the consumer', async () => {
    let drawn = 0;
    function* fanOut(): Generator<Item> {
      for (let n = 0; n < 1_000_000; n += 1) {
        drawn += 1;
        yield item('child', n);
      }
    }
    const pages = holdPages(crawlFrom([item('seed', 0)], handlerOf(fanOut), bounded));
    await vi.waitFor(() => expect(pages.length).toBe(3), patience);
    await settle();

    // The seed's page and two children hold the bound: two drawn.
    expect(drawn).toBe(2);
    for (let round = 0; round < 10; round += 1) {
      for (const page of pages.splice(0)) page.ack();
      await vi.waitFor(() => expect(pages.length).toBe(3), patience);
    }
    await settle();
    expect(drawn).toBe(2 + 10 * 3);
  });

  it('crawls every task of an async generator of next tasks, each once', async () => {
    async function* fanOut(): AsyncGenerator<Item> {
      for (let n = 0; n < 50; n += 1) yield item('child', n % 20);
    }
    const pages = await crawlAll(crawlFrom([item('seed', 0)], handlerOf(fanOut), bounded));

    expect(pages.map((page) => `${page.task.type}${page.task.n}`).sort()).toEqual(
      ['seed0', ...Array.from({ length: 20 }, (_, n) => `child${n}`)].sort(),
    );
  });

  it('emits a page with lazy next tasks as having none listed', async () => {
    const pages = await crawlAll(
      crawlFrom(
        [item('seed', 0)],
        handlerOf(() => new Set([item('child', 1)])),
        bounded,
      ),
    );

    expect(pages.map((page) => page.nextTasks)).toEqual([[], []]);
  });

  it('collects lazy next tasks into the page when a checkpoint records them', async () => {
    const checkpoint = { completed: async () => new Map<string, readonly Item[]>() };
    const pages = await crawlAll(
      crawlFrom(
        [item('seed', 0)],
        handlerOf(() => new Set([item('child', 1)])),
        { ...bounded, checkpoint },
      ),
    );

    expect(pages[0]?.nextTasks).toEqual([item('child', 1)]);
  });

  it('lets the event loop run while it draws a long run of duplicates', async () => {
    let ticked = false;
    function* fanOut(): Generator<Item> {
      setImmediate(() => {
        ticked = true;
      });
      for (let n = 0; n < 20_000; n += 1) yield item('child', 0);
    }
    let tickedBeforeTheEnd = false;
    await lastValueFrom(
      crawlFrom([item('seed', 0)], handlerOf(fanOut), bounded).pipe(tap((page) => page.ack())),
      { defaultValue: undefined },
    ).then(() => {
      tickedBeforeTheEnd = ticked;
    });

    expect(tickedBeforeTheEnd).toBe(true);
  });

  it('names a bad task of a lazy fan-out by its index', async () => {
    function* fanOut(): Generator<Item> {
      yield item('child', 1);
      yield { type: 'child', n: Number.NaN };
    }
    const error = await crawlAll(crawlFrom([item('seed', 0)], handlerOf(fanOut), bounded)).catch((e) => e);

    expect(error).toBeInstanceOf(InvalidTaskResultError);
    expect((error as Error).message).toContain('nextTasks[1]');
  });

  it('stops a generator it no longer needs when the crawl is unsubscribed', async () => {
    let finished = false;
    function* fanOut(): Generator<Item> {
      try {
        for (let n = 0; ; n += 1) yield item('child', n);
      } finally {
        finished = true;
      }
    }
    const handler: LazyHandler<Item, number> = handlerOf(fanOut);
    const pages = holdPages(crawlFrom([item('seed', 0)], handler, bounded));
    await vi.waitFor(() => expect(pages.length).toBe(3), patience);
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();

    expect(finished).toBe(true);
  });
});
