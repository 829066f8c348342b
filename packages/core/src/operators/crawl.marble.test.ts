import { map, type Observable, Subject, tap, timer } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { HttpStatusError, TransientError } from '../errors.js';
import { MemoryLimiter } from '../limit/memory-limiter.js';
import { type Handler, type TaskResult, taskKey } from '../task.js';
import { crawl } from './crawl.js';
import type { CrawlPage } from './crawl-config.js';
import type { CrawlEvent } from './crawl-event.js';

/** Runs marbles on a fresh TestScheduler, handing it over too, to pass where a scheduler is wanted. */
function marbles(callback: (helpers: RunHelpers, scheduler: TestScheduler) => void): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run((helpers) => callback(helpers, scheduler));
}

type Node = { readonly id: string };
type Page = TaskResult<Node, string>;

const node = (id: string): Node => ({ id });

/** The page of task `id`: one record, `id`, and a next task for each of `next`. */
const page = (id: string, ...next: string[]): Page => ({
  task: node(id),
  data: [id],
  nextTasks: next.map(node),
});

/** Seeds as marble values: `a` is the task `{ id: 'a' }`, and so on. */
const seedValues = { a: node('a'), b: node('b'), c: node('c'), d: node('d') };

/** A handler that answers task `id` with `pages[id]`, an Observable made with `cold`. */
function serve(pages: Readonly<Record<string, Observable<Page>>>): Handler<Node, string> {
  return (task) => {
    const answer = pages[task.id];
    if (answer === undefined) throw new Error(`No page for ${task.id}`);
    return answer;
  };
}

/** Acknowledges every page as it arrives and emits its task's id, which marbles show as itself. */
const ackAndName = map((received: CrawlPage<Node, string>) => {
  received.ack();
  return received.task.id;
});

describe('crawl on virtual time', () => {
  it('runs next tasks breadth-first', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      // a → b, c; b → d, e; c → f.
      const tree: Record<string, string[]> = { a: ['b', 'c'], b: ['d', 'e'], c: ['f'] };
      const handler: Handler<Node, string> = (task) =>
        timer(1, scheduler).pipe(map(() => page(task.id, ...(tree[task.id] ?? []))));
      const seeds = cold('a|      ', seedValues);
      const expected = '  -abcde(f|)';

      expectObservable(seeds.pipe(crawl(handler, { concurrency: 1, scheduler }), ackAndName)).toBe(expected);
    });
  });

  it('runs one task at a time with concurrency 1', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const pages = {
        a: cold('---(r|)', { r: page('a', 'b', 'c', 'd') }),
        b: cold('---(r|)', { r: page('b') }),
        c: cold('---(r|)', { r: page('c') }),
        d: cold('---(r|)', { r: page('d') }),
      };
      const seeds = cold('a|              ', seedValues);
      const bSubs = '     ---^--!         ';
      const cSubs = '     ------^--!      ';
      const dSubs = '     ---------^--!   ';
      const expected = '  ---a--b--c--(d|)';

      expectObservable(seeds.pipe(crawl(serve(pages), { concurrency: 1, scheduler }), ackAndName)).toBe(
        expected,
      );
      expectSubscriptions(pages.b.subscriptions).toBe(bSubs);
      expectSubscriptions(pages.c.subscriptions).toBe(cSubs);
      expectSubscriptions(pages.d.subscriptions).toBe(dSubs);
    });
  });

  it('runs three tasks at once with concurrency 3', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const pages = {
        a: cold('---(r|)', { r: page('a', 'b', 'c', 'd') }),
        b: cold('---(r|)', { r: page('b') }),
        c: cold('---(r|)', { r: page('c') }),
        d: cold('---(r|)', { r: page('d') }),
      };
      const seeds = cold('a|        ', seedValues);
      const subs = '      ---^--!   ';
      const expected = '  ---a--(bcd|)';

      expectObservable(seeds.pipe(crawl(serve(pages), { concurrency: 3, scheduler }), ackAndName)).toBe(
        expected,
      );
      expectSubscriptions(pages.b.subscriptions).toBe(subs);
      expectSubscriptions(pages.c.subscriptions).toBe(subs);
      expectSubscriptions(pages.d.subscriptions).toBe(subs);
    });
  });

  it('completes only once the seeds have completed', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const pages = { a: cold('--(r|)', { r: page('a') }) };
      const seeds = cold('a-----|', seedValues);
      const seedSubs = '  ^-----!';
      const expected = '  --a---|';

      expectObservable(seeds.pipe(crawl(serve(pages), { scheduler }), ackAndName)).toBe(expected);
      expectSubscriptions(seeds.subscriptions).toBe(seedSubs);
    });
  });

  it('completes only once the frontier is empty, after the seeds have completed', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const pages = { a: cold('--(r|)', { r: page('a', 'b') }), b: cold('----(r|)', { r: page('b') }) };
      const seeds = cold('a|        ', seedValues);
      const expected = '  --a---(b|)';

      expectObservable(seeds.pipe(crawl(serve(pages), { scheduler }), ackAndName)).toBe(expected);
    });
  });

  it('crawls seeds that arrive while earlier ones run', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const pages = { a: cold('---(r|)', { r: page('a') }), b: cold('---(r|)', { r: page('b') }) };
      const seeds = cold('a-b|     ', seedValues);
      const expected = '  ---a-(b|)';

      expectObservable(seeds.pipe(crawl(serve(pages), { scheduler }), ackAndName)).toBe(expected);
    });
  });

  it('runs a next task that several pages return only once', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const pages = {
        a: cold('-(r|)', { r: page('a', 'b', 'c') }),
        b: cold('-(r|)', { r: page('b', 'c', 'd') }),
        c: cold('-(r|)', { r: page('c', 'd') }),
        d: cold('-(r|)', { r: page('d') }),
      };
      const seeds = cold('(ab|)   ', seedValues);
      const cSubs = '     --^!    ';
      const dSubs = '     ---^!   ';
      const expected = '  -abc(d|)';

      expectObservable(seeds.pipe(crawl(serve(pages), { concurrency: 1, scheduler }), ackAndName)).toBe(
        expected,
      );
      expectSubscriptions(pages.c.subscriptions).toBe(cSubs);
      expectSubscriptions(pages.d.subscriptions).toBe(dSubs);
    });
  });

  it('stamps each page with the scheduler’s time', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const pages = { a: cold('--(r|)', { r: page('a', 'b') }), b: cold('---(r|)', { r: page('b') }) };
      const seeds = cold('a|       ', seedValues);
      const expected = '  --a--(b|)';

      const fetchedAt = seeds.pipe(
        crawl(serve(pages), { scheduler }),
        map((received) => {
          received.ack();
          return received.fetchedAt;
        }),
      );

      expectObservable(fetchedAt).toBe(expected, { a: 2, b: 5 });
    });
  });
});

describe('crawl on virtual time, when the seeds fail', () => {
  it('errors with the seeds’ error at its frame and unsubscribes the tasks in flight', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const failure = new Error('the seed file is unreadable');
      const pages = {
        a: cold('-(r|)', { r: page('a') }),
        b: cold('----(r|)', { r: page('b') }),
      };
      const seeds = cold('ab#', seedValues, failure);
      const bSubs = '     -^!  ';
      const expected = '  -a#  ';

      expectObservable(
        seeds.pipe(crawl(serve(pages), { concurrency: 2, retry: false, scheduler }), ackAndName),
      ).toBe(expected, undefined, failure);
      expectSubscriptions(pages.b.subscriptions).toBe(bSubs);
    });
  });
});

describe('crawl on virtual time, when a task fails', () => {
  it('errors at the frame the task fails and unsubscribes the tasks in flight and the seeds', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const failure = new Error('HTTP 404');
      const pages = {
        a: cold('-(r|)', { r: page('a', 'b', 'c') }),
        b: cold<Page>('-#', undefined, failure),
        c: cold('----(r|)', { r: page('c') }),
      };
      const seeds = cold('a-----|', seedValues);
      const seedSubs = '  ^-!    ';
      const cSubs = '     -^!    ';
      const expected = '  -a#    ';

      expectObservable(
        seeds.pipe(crawl(serve(pages), { concurrency: 2, retry: false, scheduler }), ackAndName),
      ).toBe(
        expected,
        undefined,
        expect.objectContaining({
          name: 'TaskFailedError',
          taskKey: taskKey(node('b')),
          attempts: 1,
          cause: failure,
        }),
      );
      expectSubscriptions(seeds.subscriptions).toBe(seedSubs);
      expectSubscriptions(pages.c.subscriptions).toBe(cSubs);
    });
  });

  it('retries a transient failure after 3, then 6 frames', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const busy = new TransientError('busy');
      const attempts = [
        cold('-#', undefined, busy),
        cold('-#', undefined, busy),
        cold('-(r|)', { r: page('a') }),
      ];
      const handler: Handler<Node, string> = (_, context) =>
        attempts[context.attempt - 1] as Observable<Page>;
      const retry = { retries: 2, minTimeoutMs: 3, factor: 2, randomize: false };
      const seeds = cold(' a|              ', seedValues);
      const firstSubs = '  ^!              ';
      const secondSubs = ' ----^!          ';
      const thirdSubs = '  -----------^!   ';
      const expected = '   ------------(a|)';

      const pages = seeds.pipe(
        crawl(handler, { retry, scheduler }),
        map((received) => {
          received.ack();
          return { id: received.task.id, attempts: received.attempts };
        }),
      );

      expectObservable(pages).toBe(expected, { a: { id: 'a', attempts: 3 } });
      expectSubscriptions(attempts[0]?.subscriptions ?? []).toBe(firstSubs);
      expectSubscriptions(attempts[1]?.subscriptions ?? []).toBe(secondSubs);
      expectSubscriptions(attempts[2]?.subscriptions ?? []).toBe(thirdSubs);
    });
  });

  it('fails the crawl with the attempts counted once the retries are used up', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const busy = new TransientError('busy');
      const attempt = cold<Page>('-#', undefined, busy);
      const retry = { retries: 2, minTimeoutMs: 3, factor: 2, randomize: false };
      const seeds = cold('a|           ', seedValues);
      const attempt1 = '  ^!           ';
      const attempt2 = '  ----^!       ';
      const attempt3 = '  -----------^!';
      const expected = '  ------------#';

      expectObservable(
        seeds.pipe(
          crawl(() => attempt, { retry, scheduler }),
          ackAndName,
        ),
      ).toBe(
        expected,
        undefined,
        expect.objectContaining({ name: 'TaskFailedError', attempts: 3, cause: busy }),
      );
      expectSubscriptions(attempt.subscriptions).toBe([attempt1, attempt2, attempt3]);
    });
  });

  it('waits at least the Retry-After before the next attempt', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const slowDown = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 7 });
      const attempts = [cold('-#', undefined, slowDown), cold('-(r|)', { r: page('a') })];
      const handler: Handler<Node, string> = (_, context) =>
        attempts[context.attempt - 1] as Observable<Page>;
      const retry = { retries: 2, minTimeoutMs: 3, factor: 2, randomize: false };
      const seeds = cold(' a|           ', seedValues);
      const secondSubs = ' --------^!   ';
      const expected = '   ---------(a|)';

      expectObservable(seeds.pipe(crawl(handler, { retry, scheduler }), ackAndName)).toBe(expected);
      expectSubscriptions(attempts[1]?.subscriptions ?? []).toBe(secondSubs);
    });
  });
});

describe('crawl on virtual time, when unsubscribed', () => {
  it('unsubscribes the seeds and the handlers in flight', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const pages = {
        a: cold('-(r|)', { r: page('a', 'b', 'c') }),
        b: cold('-----(r|)', { r: page('b') }),
        c: cold('-----(r|)', { r: page('c') }),
      };
      const seeds = cold('a-------|', seedValues);
      const unsub = '     ^--!     ';
      const seedSubs = '  ^--!     ';
      const inFlight = '  -^-!     ';
      const expected = '  -a--     ';

      expectObservable(
        seeds.pipe(crawl(serve(pages), { concurrency: 2, scheduler }), ackAndName),
        unsub,
      ).toBe(expected);
      expectSubscriptions(seeds.subscriptions).toBe(seedSubs);
      expectSubscriptions(pages.b.subscriptions).toBe(inFlight);
      expectSubscriptions(pages.c.subscriptions).toBe(inFlight);
    });
  });

  it('aborts the handlers’ signal at the frame it is unsubscribed', () => {
    const abortedAt: number[] = [];
    const signals: AbortSignal[] = [];
    marbles(({ cold, expectObservable }, scheduler) => {
      const handler: Handler<Node, string> = (task, context) => {
        signals.push(context.signal);
        context.signal.addEventListener('abort', () => abortedAt.push(scheduler.now()));
        return cold('-----(r|)', { r: page(task.id) });
      };
      const seeds = cold('(ab)-----|', seedValues);
      const unsub = '     ^--!      ';

      expectObservable(seeds.pipe(crawl(handler, { scheduler }), ackAndName), unsub).toBe('---');
    });

    expect(signals).toHaveLength(2);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(abortedAt).toEqual([3, 3]);
  });
});

describe('crawl on virtual time, with a slow consumer', () => {
  /** Acknowledges each page `frames` after it arrives, and tells `acks` when. */
  const ackAfterFrames = (scheduler: TestScheduler, frames: number, acks: Subject<string>) =>
    tap((received: CrawlPage<Node, string>) => {
      scheduler.schedule(() => {
        received.ack();
        acks.next(received.task.id);
      }, frames);
    });

  it('starts the next task only once the page before is acknowledged, with concurrency 1 and buffer 0', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const pages = {
        a: cold('-(r|)', { r: page('a', 'b') }),
        b: cold('-(r|)', { r: page('b', 'c') }),
        c: cold('-(r|)', { r: page('c') }),
      };
      const acks = new Subject<string>();
      const seeds = cold('a|           ', seedValues);
      const bSubs = '     ----^!       ';
      const cSubs = '     --------^!   ';
      const expected = '  -a---b---(c|)';
      const acked = '     ----a---b---c';

      const crawled = seeds.pipe(
        crawl(serve(pages), { concurrency: 1, buffer: 0, scheduler }),
        ackAfterFrames(scheduler, 3, acks),
        map((received) => received.task.id),
      );

      expectObservable(crawled).toBe(expected);
      expectObservable(acks).toBe(acked);
      expectSubscriptions(pages.b.subscriptions).toBe(bSubs);
      expectSubscriptions(pages.c.subscriptions).toBe(cSubs);
    });
  });

  it('fetches one page ahead of the consumer with concurrency 1 and buffer 1', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const pages = {
        a: cold('-(r|)', { r: page('a', 'b') }),
        b: cold('-(r|)', { r: page('b', 'c') }),
        c: cold('-(r|)', { r: page('c') }),
      };
      const acks = new Subject<string>();
      const seeds = cold('a|         ', seedValues);
      const bSubs = '     -^!        ';
      const cSubs = '     ----^!     ';
      const expected = '  -ab--(c|)  ';
      const acked = '     ----ab--c  ';

      const crawled = seeds.pipe(
        crawl(serve(pages), { concurrency: 1, buffer: 1, scheduler }),
        ackAfterFrames(scheduler, 3, acks),
        map((received) => received.task.id),
      );

      expectObservable(crawled).toBe(expected);
      expectObservable(acks).toBe(acked);
      expectSubscriptions(pages.b.subscriptions).toBe(bSubs);
      expectSubscriptions(pages.c.subscriptions).toBe(cSubs);
    });
  });
});

describe('crawl on virtual time, with a rate limiter', () => {
  it('spaces the attempts by the limiter’s interval', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 3, burst: 1 }, scheduler });
      const pages = {
        a: cold('-(r|)', { r: page('a') }),
        b: cold('-(r|)', { r: page('b') }),
        c: cold('-(r|)', { r: page('c') }),
        d: cold('-(r|)', { r: page('d') }),
      };
      const seeds = cold('(abcd|)         ', seedValues);
      const dSubs = '     ---------^!    ';
      const expected = '  -a--b--c--(d|)';

      expectObservable(seeds.pipe(crawl(serve(pages), { limiter, scheduler }), ackAndName)).toBe(expected);
      expectSubscriptions(pages.d.subscriptions).toBe(dSubs);
    });
  });

  it('reports how long each task waits for the limiter', () => {
    const waits: { key: string; waitMs: number }[] = [];
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 3, burst: 1 }, scheduler });
      const handler: Handler<Node, string> = (task) => cold('-(r|)', { r: page(task.id) });
      const onEvent = (event: CrawlEvent) => {
        if (event.type === 'limiter-wait') waits.push({ key: event.key, waitMs: event.waitMs });
      };
      const seeds = cold('(abc|)      ', seedValues);
      const expected = '  -a--b--(c|)';

      expectObservable(seeds.pipe(crawl(handler, { limiter, scheduler, onEvent }), ackAndName)).toBe(
        expected,
      );
    });

    expect(waits).toEqual([
      { key: taskKey(node('b')), waitMs: 3 },
      { key: taskKey(node('c')), waitMs: 6 },
    ]);
  });

  it('limits next tasks as well as seeds', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 3, burst: 1 }, scheduler });
      const pages = {
        a: cold('-(r|)', { r: page('a', 'b', 'c') }),
        b: cold('-(r|)', { r: page('b') }),
        c: cold('-(r|)', { r: page('c') }),
      };
      const seeds = cold('a|         ', seedValues);
      const expected = '  -a--b--(c|)';

      expectObservable(
        seeds.pipe(crawl(serve(pages), { limiter, concurrency: 2, scheduler }), ackAndName),
      ).toBe(expected);
    });
  });

  it('pauses the limiter key for the Retry-After, so other tasks wait too', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      // a fails at 1 with Retry-After 6: the key is paused until 7. b, arriving at 3, gets the
      // permit at 7 (not 3); a's retry, reserving at 7 behind b, gets the next one at 9.
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 2, burst: 1 }, scheduler });
      const slowDown = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 6 });
      const aAttempts = [cold('-#', undefined, slowDown), cold('-(r|)', { r: page('a') })];
      const b = cold('-(r|)', { r: page('b') });
      const handler: Handler<Node, string> = (task, context) =>
        task.id === 'b' ? b : (aAttempts[context.attempt - 1] as Observable<Page>);
      const retry = { retries: 2, minTimeoutMs: 3, factor: 2, randomize: false };
      const seeds = cold('a--b|         ', seedValues);
      const bSubs = '     -------^!     ';
      const aRetrySubs = '---------^!   ';
      const expected = '  --------b-(a|)';

      expectObservable(seeds.pipe(crawl(handler, { limiter, retry, scheduler }), ackAndName)).toBe(expected);
      expectSubscriptions(b.subscriptions).toBe(bSubs);
      expectSubscriptions(aAttempts[1]?.subscriptions ?? []).toBe(aRetrySubs);
    });
  });

  describe('with layered limiter keys (an account and an endpoint per task)', () => {
    const rate = { limit: 1, periodMs: 2, burst: 1 };
    const layersOf = (task: Node) => [
      { key: 'acct', name: 'account' },
      { key: `acct:${task.id}`, rate, name: 'endpoint' },
    ];
    const run = (slowDown: Error, expected: string) =>
      marbles(({ cold, expectObservable }, scheduler) => {
        const limiter = new MemoryLimiter({ rate, scheduler });
        const aAttempts = [cold('-#', undefined, slowDown), cold('-(r|)', { r: page('a') })];
        const handler: Handler<Node, string> = (task, context) =>
          task.id === 'a'
            ? (aAttempts[context.attempt - 1] as Observable<Page>)
            : cold('-(r|)', { r: page(task.id) });
        const retry = { retries: 2, minTimeoutMs: 3, factor: 2, randomize: false };
        const seeds = cold('a--b|', seedValues);
        expectObservable(
          seeds.pipe(crawl(handler, { limiter, limiterKey: layersOf, retry, scheduler }), ackAndName),
        ).toBe(expected);
      });

    it('pauses only the layer a 429 names: another endpoint goes on', () => {
      // a's 429 at 1 names its endpoint: acct:a is paused until 7, the account is not, so b
      // (another endpoint) runs at its permit at 3; a's retry gets the permit at 7.
      const endpoint = Object.assign(new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 6 }), {
        limiterLayer: 'endpoint',
      });
      run(endpoint, '----b---(a|)');
    });

    it('pauses the first layer, the account, when a 429 does not say which', () => {
      // The account is paused until 7: b waits for it although its endpoint is free.
      run(new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 6 }), '--------b-(a|)');
    });
  });

  it('holds back the tasks already granted a later permit when a 429 pauses the key', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      // b and c hold the permits at 2 and 4 when a's 429 at 1 pauses the key until 7: they run
      // at 7 and 9, a permit apart, and a's retry, reserving at 7, at 11.
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 2, burst: 1 }, scheduler });
      const slowDown = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 6 });
      const aAttempts = [cold('-#', undefined, slowDown), cold('-(r|)', { r: page('a') })];
      const handler: Handler<Node, string> = (task, context) =>
        task.id === 'a'
          ? (aAttempts[context.attempt - 1] as Observable<Page>)
          : cold('-(r|)', { r: page(task.id) });
      const retry = { retries: 2, minTimeoutMs: 3, factor: 2, randomize: false };
      const seeds = cold('(abc|)          ', seedValues);
      const expected = '  --------b-c-(a|)';

      expectObservable(
        seeds.pipe(crawl(handler, { limiter, retry, concurrency: 3, scheduler }), ackAndName),
      ).toBe(expected);
    });
  });
});
