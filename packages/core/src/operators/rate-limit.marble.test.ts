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

const everyFourFrames: Rate = { limit: 1, periodMs: 4, burst: 1 };

describe('rateLimit', () => {
  it.each<{ name: string; rate: Rate; source: string; subs: string; expected: string }>([
    {
      name: '2/4ms, burst 1 (a permit every 2 frames, the first at once)',
      rate: { limit: 2, periodMs: 4, burst: 1 },
      source: '   abcd|     ',
      subs: '     ^---!     ',
      expected: ' a-b-c-(d|)',
    },
    {
      name: '3/9ms, burst 1 (a permit every 3 frames)',
      rate: { limit: 3, periodMs: 9, burst: 1 },
      source: '   abc|      ',
      subs: '     ^--!      ',
      expected: ' a--b--(c|)',
    },
    {
      name: '2/10ms, burst 2 (two back to back, then one every 5 frames)',
      rate: { limit: 2, periodMs: 10, burst: 2 },
      source: '   (abcd|)       ',
      subs: '     (^!)          ',
      expected: ' (ab)-c----(d|)',
    },
    {
      name: '3/15ms, burst 3 (three back to back, then one every 5 frames)',
      rate: { limit: 3, periodMs: 15, burst: 3 },
      source: '   (abcde|)      ',
      subs: '     (^!)          ',
      expected: ' (abc)d----(e|)',
    },
    {
      name: '2/10ms, burst 2, idle between (the burst refills)',
      rate: { limit: 2, periodMs: 10, burst: 2 },
      source: '   (ab) 16ms (cd|)',
      subs: '     ^    19ms !   ',
      expected: ' (ab) 16ms (cd|)',
    },
  ])('grants permits at exact frames for $name', ({ rate, source, subs, expected }) => {
    marbles(({ cold, expectObservable, expectSubscriptions }, scheduler) => {
      const values = cold(source);
      const limiter = new MemoryLimiter({ rate, scheduler });

      expectObservable(values.pipe(rateLimit({ limiter, key: 'k', scheduler }))).toBe(expected);
      expectSubscriptions(values.subscriptions).toBe(subs);
    });
  });

  it('keeps the order of the values on one key', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 2, periodMs: 10, burst: 2 }, scheduler });
      const values = cold('(abcdef|)                ');
      const expected = '   (ab)-c----d----e----(f|)';

      expectObservable(values.pipe(rateLimit({ limiter, key: 'k', scheduler }))).toBe(expected);
    });
  });

  it('limits each key on its own, each in order', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: everyFourFrames, scheduler });
      const tasks = { a: 'x1', b: 'y1', c: 'x2', d: 'y2' };
      const values = cold('abcd|    ', tasks);
      const expected = '   ab--c(d|)';

      expectObservable(values.pipe(rateLimit({ limiter, key: (task) => task.slice(0, 1), scheduler }))).toBe(
        expected,
        tasks,
      );
    });
  });

  it('gives the newest permit back when unsubscribed while waiting, so a later value gets its slot', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: everyFourFrames, scheduler });
      const limit = rateLimit<string>({ limiter, key: 'k', scheduler });
      // b reserves the slot at 4 and leaves at 2; c, asking at 3, gets that slot rather than 8.
      const first = cold('  a       ');
      const second = cold(' -b      ');
      const leave = '       ^-!     ';
      const third = cold('  ---c    ');
      const firstOut = '    a       ';
      const secondOut = '   --      ';
      const thirdOut = '    ----c   ';

      expectObservable(first.pipe(limit)).toBe(firstOut);
      expectObservable(second.pipe(limit), leave).toBe(secondOut);
      expectObservable(third.pipe(limit)).toBe(thirdOut);
    });
  });

  it('gives nothing back for a permit that later permits are queued behind', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: everyFourFrames, scheduler });
      const limit = rateLimit<string>({ limiter, key: 'k', scheduler });
      // b (slot 4) leaves after c took slot 8: d, asking at 5, queues behind c, at 12.
      const first = cold('  a            ');
      const second = cold(' -b           ');
      const leave = '       ^--!         ';
      const third = cold('  --c          ');
      const fourth = cold(' -----d       ');
      const firstOut = '    a            ';
      const secondOut = '   ---          ';
      const thirdOut = '    --------c    ';
      const fourthOut = '   ------------d';

      expectObservable(first.pipe(limit)).toBe(firstOut);
      expectObservable(second.pipe(limit), leave).toBe(secondOut);
      expectObservable(third.pipe(limit)).toBe(thirdOut);
      expectObservable(fourth.pipe(limit)).toBe(fourthOut);
    });
  });

  it('gives back every permit still waiting when unsubscribed, whatever the order', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 10, burst: 1 }, scheduler });
      const limit = rateLimit<string>({ limiter, key: 'k', scheduler });
      // b, c, d and e hold the slots at 10, 20, 30 and 40 and all leave at 5: f, asking at 6,
      // gets the slot at 10, not the one at 40.
      const values = cold('(abcde)   ');
      const leave = '      ^----!    ';
      const valuesOut = '   a         ';
      const later = cold('  ------f   ');
      const laterOut = '    10ms f   ';

      expectObservable(values.pipe(limit), leave).toBe(valuesOut);
      expectObservable(later.pipe(limit)).toBe(laterOut);
    });
  });

  it('holds back permits already scheduled when the key is paused, keeping them a permit apart', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 10, burst: 1 }, scheduler });
      // b, c and d hold the slots at 10, 20 and 30; at 5 the API says "wait 100 ms" (a 429).
      const values = cold('(abcd|)                      ');
      const expected = '   a 104ms b 9ms c 9ms (d|)';
      scheduler.schedule(() => limiter.pause('k', 100), 5);

      expectObservable(values.pipe(rateLimit({ limiter, key: 'k', scheduler }))).toBe(expected);
    });
  });

  it('keeps a permit that was granted', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: everyFourFrames, scheduler });
      // b is granted at 4 and done; c, asking at 5, gets the slot after b's, at 8.
      const values = cold('ab---c|     ');
      const expected = '   a---b---(c|)';

      expectObservable(values.pipe(rateLimit({ limiter, key: 'k', scheduler }))).toBe(expected);
    });
  });

  it('reports each wait longer than 0 ms with its value and reservation', () => {
    const onWait = vi.fn();
    marbles(({ cold, expectObservable }, scheduler) => {
      const limiter = new MemoryLimiter({ rate: everyFourFrames, scheduler });
      const values = cold('abc|      ');
      const expected = '   a---b---(c|)';

      expectObservable(values.pipe(rateLimit({ limiter, key: 'k', scheduler, onWait }))).toBe(expected);
    });

    expect(onWait.mock.calls).toEqual([
      [3, 'b', expect.objectContaining({ key: 'k', waitMs: 3, pausedForMs: 0 })],
      [6, 'c', expect.objectContaining({ key: 'k', waitMs: 6, pausedForMs: 0 })],
    ]);
  });
});
