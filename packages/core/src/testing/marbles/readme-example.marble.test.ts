import { crawl, MemoryLimiter } from '@capital/core';
import { ackAfterFrames, marbleHandler, tooManyRequests } from '@capital/core/testing';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';

type OrdersTask = { type: 'acme.orders'; page: number };
const page = (n: number): OrdersTask => ({ type: 'acme.orders', page: n });

it('crawls three pages through a 429, a rate limit and a slow sink, frame by frame', () => {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  // Each task's answer on virtual time: '-a|' is page `a` after 1 frame, '-#' a failure after 1.
  const handler = marbleHandler<OrdersTask, string>(scheduler, {
    scripts: {
      'page:1': '-a|',
      'page:2': [{ marbles: '-#', error: tooManyRequests(4) }, '-b|'], // a 429, then the page
      'page:3': '--c|',
    },
    values: {
      a: { data: ['o1', 'o2'], nextTasks: [page(2), page(3)] },
      b: { data: ['o3'] },
      c: { data: ['o4'] },
    },
  });

  scheduler.run(({ cold, expectObservable }) => {
    const limiter = new MemoryLimiter({ rate: '1/2ms', scheduler }); // a request every 2 frames
    const stored = cold<OrdersTask>('(s|)', { s: page(1) }).pipe(
      crawl(handler, { concurrency: 2, limiter, scheduler, retry: { minTimeoutMs: 1, randomize: false } }),
      ackAfterFrames(scheduler, 1), // the sink takes 1 frame per page, then acknowledges it
      map((written) => `p${written.task.page}`),
    );

    // frame     0 1 2 3 4 5 6 7 8 9 0 1
    // page 1    ^ a                        permit at 0, page at 1, stored at 2
    // page 2        ^ #           ^ b      the 429 at 3 pauses the limit until 7
    // page 3                  ^   c        its permit at 4 fell in the pause
    // stored        1                 3 2
    expectObservable(stored).toBe('--1-------3(2|)', { 1: 'p1', 2: 'p2', 3: 'p3' });
  });

  expect(handler.calls).toEqual([
    { key: 'page:1', attempt: 1, frame: 0 },
    { key: 'page:2', attempt: 1, frame: 2 },
    { key: 'page:3', attempt: 1, frame: 7 },
    { key: 'page:2', attempt: 2, frame: 9 },
  ]);
});
