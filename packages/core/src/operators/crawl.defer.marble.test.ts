import { map, mergeMap, type Observable, of, tap, timer } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { HttpStatusError, RunDeferredError } from '../errors.js';
import { MemoryLimiter } from '../limit/memory-limiter.js';
import type { Handler, TaskResult } from '../task.js';
import { crawl } from './crawl.js';
import type { CrawlPage } from './crawl-config.js';

function marbles(callback: (helpers: RunHelpers, scheduler: TestScheduler) => void): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run((helpers) => callback(helpers, scheduler));
}

type Node = { readonly id: string };
type Page = TaskResult<Node, string>;
const node = (id: string): Node => ({ id });
const page = (id: string, ...next: string[]): Page => ({
  task: node(id),
  data: [id],
  nextTasks: next.map(node),
});
const seedValues = { a: node('a'), b: node('b') };

/** A 429 asking to wait `retryAfterMs`. */
const tooMany = (retryAfterMs: number) => new HttpStatusError(429, 'quota', { retryAfterMs });

function serve(pages: Readonly<Record<string, Observable<Page>>>): Handler<Node, string> {
  return (task) => pages[task.id] ?? of(page(task.id));
}

/** Acknowledges every page as it arrives and emits its task's id. */
const ackAndName = map((received: CrawlPage<Node, string>) => {
  received.ack();
  return received.task.id;
});

/** Stores each page in 5 frames (a slow sink), emits its id, then acknowledges it. */
const storeSlowly = (scheduler: TestScheduler) =>
  mergeMap((received: CrawlPage<Node, string>) =>
    timer(5, scheduler).pipe(
      map(() => received.task.id),
      tap({ complete: () => received.ack() }),
    ),
  );

describe('crawl deferral, on virtual time', () => {
  it('stores the pages already fetched, drops the tasks in flight, then ends deferred', () => {
    marbles(({ cold, hot, expectObservable, expectSubscriptions }, scheduler) => {
      const seeds = hot('(ab|)', seedValues);
      const c = cold('-----(c|)', { c: page('c') });
      const pages = {
        a: cold('-(a|)', { a: page('a', 'c') }),
        b: cold<Page>('---#', undefined, tooMany(10_000)),
        c,
      };
      let deferral: unknown;
      const crawled = seeds.pipe(
        crawl(serve(pages), { concurrency: 2, deferAfterMs: 5000, scheduler }),
        storeSlowly(scheduler),
        tap({ error: (error: unknown) => (deferral = error) }),
      );
      // a is fetched at 1 and stored at 6; b's 429 at 3 stops c, started at 1, and no task after.
      expectObservable(crawled).toBe('------(a#)', { a: 'a' }, expect.any(RunDeferredError));
      expectSubscriptions(c.subscriptions).toBe('-^-!');
      scheduler.flush();
      expect(deferral).toMatchObject({ code: 'RUN_DEFERRED', resumeAt: 10_003, waitMs: 10_000 });
    });
  });

  it('waits out a Retry-After no longer than the threshold, as before', () => {
    marbles(({ cold, hot, expectObservable }, scheduler) => {
      const seeds = hot('(a|)', seedValues);
      let calls = 0;
      const handler: Handler<Node, string> = () =>
        calls++ === 0 ? cold('-#', undefined, tooMany(5)) : cold('-(a|)', { a: page('a') });
      const crawled = seeds.pipe(
        crawl(handler, {
          deferAfterMs: 5,
          retry: { randomize: false, minTimeoutMs: 1 },
          scheduler,
        }),
        ackAndName,
      );
      // Failed at 1, retried at 1 + 5, answered at 7.
      expectObservable(crawled).toBe('-------(a|)', { a: 'a' });
    });
  });

  it('waits out any Retry-After with an infinite threshold', () => {
    marbles(({ cold, hot, expectObservable }, scheduler) => {
      const seeds = hot('(a|)', seedValues);
      let calls = 0;
      const handler: Handler<Node, string> = () =>
        calls++ === 0 ? cold('-#', undefined, tooMany(20)) : cold('-(a|)', { a: page('a') });
      const crawled = seeds.pipe(
        crawl(handler, { deferAfterMs: Infinity, retry: { randomize: false, minTimeoutMs: 1 }, scheduler }),
        ackAndName,
      );
      expectObservable(crawled).toBe('----------------------(a|)', { a: 'a' });
    });
  });

  it('defers even with retries off, rather than failing the task', () => {
    marbles(({ cold, hot, expectObservable }, scheduler) => {
      const seeds = hot('(a|)', seedValues);
      const crawled = seeds.pipe(
        crawl(serve({ a: cold('--#', undefined, tooMany(60_000)) }), {
          retry: false,
          deferAfterMs: 1000,
          scheduler,
        }),
        ackAndName,
      );
      expectObservable(crawled).toBe('--#', undefined, expect.any(RunDeferredError));
    });
  });

  it('defers, without calling the handler, when a pause of the shared limiter outlasts the threshold', () => {
    marbles(({ cold, hot, expectObservable, expectSubscriptions }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 1, burst: 1 }, scheduler });
      limiter.pause('default', 10_000);
      const a = cold('-(a|)', { a: page('a') });
      const crawled = hot('(a|)', seedValues).pipe(
        crawl(serve({ a }), { limiter, deferAfterMs: 5000, scheduler }),
        ackAndName,
      );
      expectObservable(crawled).toBe('#', undefined, expect.any(RunDeferredError));
      expectSubscriptions(a.subscriptions).toBe([]);
    });
  });

  it('waits for a permit the rate alone puts beyond the threshold', () => {
    marbles(({ cold, hot, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 10, burst: 1 }, scheduler });
      const crawled = hot('(ab|)', seedValues).pipe(
        crawl(serve({ a: cold('-(a|)', { a: page('a') }), b: cold('-(b|)', { b: page('b') }) }), {
          limiter,
          deferAfterMs: 5,
          scheduler,
        }),
        ackAndName,
      );
      expectObservable(crawled).toBe('-a---------(b|)', { a: 'a', b: 'b' });
    });
  });
});
