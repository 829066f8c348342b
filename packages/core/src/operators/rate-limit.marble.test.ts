import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { MemoryLimiter } from '../limit/memory-limiter.js';
import type { Rate } from '../limit/rate.js';
import { rateLimit } from './rate-limit.js';

/** Runs marbles on a fresh TestScheduler, handing it over too, to pass where a scheduler is wanted. */
function marbles(callback: (helpers: RunHelpers, scheduler: TestScheduler) => void): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run((helpers) => callback(helpers, scheduler));
}

describe('rateLimit', () => {
  it.each<[string, Rate, string, string]>([
    // interval 2 ms: one permit every 2 frames, the first at once.
    ['2/4ms, burst 1', { limit: 2, periodMs: 4, burst: 1 }, 'abcd|     ', 'a-b-c-(d|)'],
    // interval 3 ms.
    ['3/9ms, burst 1', { limit: 3, periodMs: 9, burst: 1 }, 'abc|      ', 'a--b--(c|)'],
    // interval 5 ms, two permits back to back after an idle spell.
    ['2/10ms, burst 2', { limit: 2, periodMs: 10, burst: 2 }, '(abcd|)         ', '(ab)-c----(d|)  '],
    // The burst refills while the key is idle: two more at once at frame 20.
    ['2/10ms, burst 2, after a pause', { limit: 2, periodMs: 10, burst: 2 }, '(ab) 16ms (cd|)', '(ab) 16ms (cd|)'],
    // interval 1 ms, three at once.
    ['3/3ms, burst 3', { limit: 3, periodMs: 3, burst: 3 }, '(abcde|)      ', '(abc)(d|)     '.replace('(d|)', 'd(e|)')],
  ])('grants permits at exact frames for %s', (_, rate, source, expected) => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const values = cold(source);
      const limiter = new MemoryLimiter({ rate, scheduler });

      expectObservable(values.pipe(rateLimit({ limiter, key: 'k', scheduler }))).toBe(expected);
      expectSubscriptions(values.subscriptions).toBe(`^${'-'.repeat(source.indexOf('|') - 1)}!`);
    });
  });
});
