import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { HttpStatusError, TransientError } from '../../errors.js';
import { crawl } from '../../operators/crawl.js';
import { ackAfterFrames } from './ack-after-frames.js';
import { marbleHandler, tooManyRequests } from './marble-handler.js';

type PageTask = { page: number };
const context = { signal: new AbortController().signal, logger: console, taskKey: 'k', attempt: 1 };
const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('marbleHandler', () => {
  it('answers a task with the page its marbles name, with the task filled in, at their frame', () => {
    const scheduler = newScheduler();
    const handler = marbleHandler<PageTask, string>(scheduler, {
      scripts: { 'page:1': '--a|' },
      values: { a: { data: ['x'], nextTasks: [{ page: 2 }] } },
    });
    scheduler.run(({ expectObservable }) => {
      expectObservable(handler({ page: 1 }, context)).toBe('--a|', {
        a: { task: { page: 1 }, data: ['x'], nextTasks: [{ page: 2 }] },
      });
    });
  });

  it('plays a list of scripts one per attempt, and the last one again once used up', () => {
    const scheduler = newScheduler();
    const busy = new TransientError('busy');
    const handler = marbleHandler<PageTask, string>(scheduler, {
      scripts: { 'page:1': [{ marbles: '#', error: busy }, '-a|'] },
      values: { a: { data: ['x'] } },
    });
    const page = { a: { task: { page: 1 }, data: ['x'], nextTasks: [] } };
    scheduler.run(({ expectObservable }) => {
      expectObservable(handler({ page: 1 }, context)).toBe('#', undefined, busy);
      expectObservable(handler({ page: 1 }, context)).toBe('-a|', page);
      expectObservable(handler({ page: 1 }, context)).toBe('-a|', page);
    });
    expect(handler.calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
  });

  it('throws the default TransientError for a bare #, and the given error otherwise', () => {
    const scheduler = newScheduler();
    const fallback = new TransientError('Marble failure');
    const handler = marbleHandler<PageTask, string>(scheduler, {
      scripts: { 'page:1': '-#', 'page:2': { marbles: '#', error: tooManyRequests(3) } },
      values: {},
    });
    scheduler.run(({ expectObservable }) => {
      expectObservable(handler({ page: 1 }, context)).toBe('-#', undefined, fallback);
      expectObservable(handler({ page: 2 }, context)).toBe(
        '#',
        undefined,
        new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 3 }),
      );
    });
  });

  it('names tasks with keyOf, and refuses a task without a script', () => {
    const scheduler = newScheduler();
    const handler = marbleHandler<{ id: string }, string>(scheduler, {
      scripts: { a: 'a|' },
      values: { a: { data: [] } },
      keyOf: (task) => task.id,
    });
    scheduler.run(({ expectObservable }) => {
      expectObservable(handler({ id: 'a' }, context)).toBe('a|', {
        a: { task: { id: 'a' }, data: [], nextTasks: [] },
      });
    });
    expect(() => handler({ id: 'b' }, context)).toThrow('marbleHandler: no script for b.');
  });

  it('records the frame of every call, retries included, when the crawl retries a 429', () => {
    const scheduler = newScheduler();
    const handler = marbleHandler<PageTask, string>(scheduler, {
      scripts: { 'page:1': [{ marbles: '-#', error: tooManyRequests(5) }, '-a|'] },
      values: { a: { data: ['x'] } },
    });
    scheduler.run(({ cold, expectObservable }) => {
      const pages = cold('(s|)', { s: { page: 1 } }).pipe(
        crawl(handler, { scheduler, retry: { minTimeoutMs: 1, randomize: false } }),
        ackAfterFrames(scheduler, 0),
        map((page) => page.data.join()),
      );
      expectObservable(pages).toBe('-------(x|)');
    });
    expect(handler.calls).toEqual([
      { key: 'page:1', attempt: 1, frame: 0 },
      { key: 'page:1', attempt: 2, frame: 6 },
    ]);
  });
});

describe('ackAfterFrames', () => {
  it('acknowledges each page after the given frames, one write at a time, which paces the crawl', () => {
    const scheduler = newScheduler();
    const handler = marbleHandler<PageTask, string>(scheduler, {
      scripts: { 'page:1': 'a|', 'page:2': 'b|', 'page:3': 'c|' },
      values: {
        a: { data: ['1'], nextTasks: [{ page: 2 }, { page: 3 }] },
        b: { data: ['2'] },
        c: { data: ['3'] },
      },
    });
    scheduler.run(({ cold, expectObservable }) => {
      // concurrency 1, buffer 0: a page starts only once the one before it is acknowledged.
      const pages = cold('(s|)', { s: { page: 1 } }).pipe(
        crawl(handler, { scheduler, concurrency: 1, buffer: 0 }),
        ackAfterFrames(scheduler, 3),
        map((page) => page.data.join()),
      );
      expectObservable(pages).toBe('---1--2--(3|)', { 1: '1', 2: '2', 3: '3' });
    });
    expect(handler.calls.map((call) => call.frame)).toEqual([0, 3, 6]);
  });
});
