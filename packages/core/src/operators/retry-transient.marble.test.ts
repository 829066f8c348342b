import { defer, type Observable } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { HttpStatusError, TransientError } from '../errors.js';
import { retryTransient } from './retry-transient.js';

/** Runs marbles on a fresh TestScheduler, handing it over too, to pass where a scheduler is wanted. */
function marbles(callback: (helpers: RunHelpers, scheduler: TestScheduler) => void): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run((helpers) => callback(helpers, scheduler));
}

/** Subscribes to `attempts[0]` first, `attempts[1]` on the first retry, and so on. */
function inTurn<T>(attempts: readonly Observable<T>[]): Observable<T> {
  let next = 0;
  return defer(() => attempts[Math.min(next++, attempts.length - 1)] as Observable<T>);
}

const busy = new TransientError('busy');
/** Backoff of 3, 6, 12… frames, without jitter. */
const exact = { minTimeoutMs: 3, factor: 2, randomize: false } as const;

describe('retryTransient', () => {
  it('passes values and completion through untouched', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const source = cold('-a-b-|');
      const subs = '       ^----!';
      const expected = '   -a-b-|';

      expectObservable(source.pipe(retryTransient({ ...exact, scheduler }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('resubscribes after 3, then 6 frames, and fails with the last error once the retries are used up', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      // Attempt 1 fails at 1 and waits 3; attempt 2 runs at 4, fails at 5 and waits 6; attempt 3 runs at 11.
      const source = cold('-#', undefined, busy);
      const attempt1 = '   ^!           ';
      const attempt2 = '   ----^!       ';
      const attempt3 = '   -----------^!';
      const expected = '   ------------#';

      expectObservable(source.pipe(retryTransient({ ...exact, retries: 2, scheduler }))).toBe(
        expected,
        undefined,
        busy,
      );
      expectSubscriptions(source.subscriptions).toBe([attempt1, attempt2, attempt3]);
    });
  });

  it('emits the value of the first attempt that succeeds', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const [first, second, third] = [
        cold('-#', undefined, busy),
        cold('-#', undefined, busy),
        cold('-(a|)'),
      ];
      const firstSubs = '  ^!              ';
      const secondSubs = ' ----^!          ';
      const thirdSubs = '  -----------^!   ';
      const expected = '   ------------(a|)';

      const retried = inTurn([first, second, third]).pipe(
        retryTransient({ ...exact, retries: 2, scheduler }),
      );

      expectObservable(retried).toBe(expected);
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
      expectSubscriptions(third.subscriptions).toBe(thirdSubs);
    });
  });

  it('lets a permanent error through at once', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const notFound = new HttpStatusError(404, 'Not Found');
      const source = cold('-#', undefined, notFound);
      const subs = '       ^!';
      const expected = '   -#';

      expectObservable(source.pipe(retryTransient({ ...exact, retries: 5, scheduler }))).toBe(
        expected,
        undefined,
        notFound,
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('does not retry at all with retries: 0', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const source = cold('-#', undefined, busy);
      const subs = '       ^!';
      const expected = '   -#';

      expectObservable(source.pipe(retryTransient({ ...exact, retries: 0, scheduler }))).toBe(
        expected,
        undefined,
        busy,
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('waits a Retry-After longer than the backoff in full', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const slowDown = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 7 });
      const [first, second] = [cold('-#', undefined, slowDown), cold('-(a|)')];
      const firstSubs = '  ^!        ';
      const secondSubs = ' --------^! ';
      const expected = '   ---------(a|)';

      const retried = inTurn([first, second]).pipe(retryTransient({ ...exact, retries: 1, scheduler }));

      expectObservable(retried).toBe(expected);
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
  });

  it('fails at once when the Retry-After is longer than maxRetryAfterMs', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const slowDown = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 7 });
      const source = cold('-#', undefined, slowDown);
      const subs = '       ^!';
      const expected = '   -#';

      expectObservable(source.pipe(retryTransient({ ...exact, maxRetryAfterMs: 6, scheduler }))).toBe(
        expected,
        undefined,
        slowDown,
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('never waits longer than maxTimeoutMs between attempts', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      // Backoff 3, 30, 300 capped to 3, 5, 5.
      const source = cold('-#', undefined, busy);
      const subs = [
        '                  ^!                ',
        '                  ----^!            ',
        '                  ----------^!      ',
        '                  ----------------^!',
      ];
      const expected = '   -----------------#';
      const config = { minTimeoutMs: 3, factor: 10, maxTimeoutMs: 5, randomize: false, retries: 3 };

      expectObservable(source.pipe(retryTransient({ ...config, scheduler }))).toBe(expected, undefined, busy);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('stretches the delay by 1 + random() when randomized', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      // 4 × (1 + 0.5) = 6 frames.
      const [first, second] = [cold('-#', undefined, busy), cold('-(a|)')];
      const secondSubs = ' -------^!   ';
      const expected = '   --------(a|)';
      const config = { minTimeoutMs: 4, randomize: true, random: () => 0.5, retries: 1 };

      expectObservable(inTurn([first, second]).pipe(retryTransient({ ...config, scheduler }))).toBe(expected);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
  });

  it('does not resubscribe once unsubscribed during a delay', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const source = cold('-#', undefined, busy);
      const subs = '       ^!  ';
      const unsub = '      ---!';
      const expected = '   ----';

      expectObservable(source.pipe(retryTransient({ ...exact, retries: 2, scheduler })), unsub).toBe(
        expected,
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('turns a thrown non-Error into a NonErrorThrownError and does not retry it', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const source = cold('-#', undefined, 'boom');
      const subs = '       ^!';
      const expected = '   -#';

      expectObservable(source.pipe(retryTransient({ ...exact, retries: 2, scheduler }))).toBe(
        expected,
        undefined,
        expect.objectContaining({ name: 'NonErrorThrownError', value: 'boom' }),
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('reports each retry with its number and delay, and each Retry-After before its delay', () => {
    const onRetry = vi.fn();
    const onRetryAfter = vi.fn();
    const slowDown = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 4 });
    marbles(({ cold, expectObservable }, scheduler) => {
      const source = cold('-#', undefined, slowDown);
      const retried = source.pipe(retryTransient({ ...exact, retries: 2, scheduler, onRetry, onRetryAfter }));

      // Delays max(3, 4) = 4, then max(6, 4) = 6: attempts at 0, 5, 12.
      expectObservable(retried).toBe('-------------#', undefined, slowDown);
    });

    expect(onRetry.mock.calls).toEqual([
      [slowDown, 1, 4],
      [slowDown, 2, 6],
    ]);
    expect(onRetryAfter.mock.calls).toEqual([
      [4, slowDown],
      [4, slowDown],
    ]);
  });
});
