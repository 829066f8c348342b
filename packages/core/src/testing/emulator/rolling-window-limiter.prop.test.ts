import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { RollingWindowLimiter } from './rolling-window-limiter.js';

const gaps = fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 });

test.prop([fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 2000 }), gaps])(
  'never allows more than limit requests in any window, and allows one as soon as retryAfterMs has passed',
  (limit, windowMs, steps) => {
    const limiter = new RollingWindowLimiter({ limit, windowMs });
    const allowedAt: number[] = [];
    let now = 0;
    for (const step of steps) {
      now += step;
      const decision = limiter.check('demo', now);
      const inWindow = allowedAt.filter((time) => now < time + windowMs);
      if (decision.allowed) {
        expect(inWindow.length).toBeLessThan(limit);
        allowedAt.push(now);
      } else {
        expect(inWindow.length).toBe(limit);
        expect(decision.retryAfterMs).toBe(Math.min(...inWindow) + windowMs - now);
      }
    }
  },
);

const steps = fc.array(
  fc.record({ gap: fc.integer({ min: 0, max: 400 }), newLimit: fc.option(fc.integer({ min: 1, max: 12 })) }),
  { minLength: 1, maxLength: 200 },
);

test.prop([fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 2000 }), steps])(
  'never allows more than the limit of the moment in any window, whenever the limit changes',
  (limit, windowMs, changes) => {
    const limiter = new RollingWindowLimiter({ limit, windowMs });
    const allowedAt: number[] = [];
    let now = 0;
    for (const { gap, newLimit } of changes) {
      now += gap;
      if (newLimit !== null) limiter.setLimit({ limit: newLimit });
      const decision = limiter.check('demo', now);
      const inWindow = allowedAt.filter((time) => now < time + windowMs);
      expect(decision.allowed).toBe(inWindow.length < limiter.limit);
      if (decision.allowed) allowedAt.push(now);
      else {
        // Once retryAfterMs has passed, and not a millisecond before, a slot is free again.
        const stillIn = (at: number) => inWindow.filter((time) => at < time + windowMs).length;
        expect(stillIn(now + decision.retryAfterMs)).toBeLessThan(limiter.limit);
        expect(stillIn(now + decision.retryAfterMs - 1)).toBeGreaterThanOrEqual(limiter.limit);
      }
    }
  },
);
