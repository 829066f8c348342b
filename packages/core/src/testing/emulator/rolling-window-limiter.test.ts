import { describe, expect, it } from 'vitest';
import { RollingWindowLimiter } from './rolling-window-limiter.js';

/** Sends `count` requests for `token` at `nowMs` and returns how many were allowed. */
function burst(limiter: RollingWindowLimiter, token: string, nowMs: number, count: number): number {
  let allowed = 0;
  for (let index = 0; index < count; index += 1) if (limiter.check(token, nowMs).allowed) allowed += 1;
  return allowed;
}

describe('RollingWindowLimiter', () => {
  it('allows 10 requests per second by default and denies the 11th', () => {
    const limiter = new RollingWindowLimiter();
    expect(burst(limiter, 'demo', 0, 10)).toBe(10);
    expect(limiter.check('demo', 0)).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it('answers retryAfterMs as the time the oldest request leaves the window', () => {
    // limit 3, window 1000: requests at 0, 100, 200; at 300 the one from 0 has 700 ms to go.
    const limiter = new RollingWindowLimiter({ limit: 3, windowMs: 1000 });
    for (const time of [0, 100, 200]) limiter.check('demo', time);
    expect(limiter.check('demo', 300)).toEqual({ allowed: false, retryAfterMs: 700 });
  });

  it('frees the slot exactly when retryAfterMs has passed, not a millisecond before', () => {
    const limiter = new RollingWindowLimiter({ limit: 2, windowMs: 1000 });
    limiter.check('demo', 0);
    limiter.check('demo', 10);
    expect(limiter.check('demo', 999)).toEqual({ allowed: false, retryAfterMs: 1 });
    expect(limiter.check('demo', 1000)).toEqual({ allowed: true });
    expect(limiter.check('demo', 1001)).toEqual({ allowed: false, retryAfterMs: 9 });
  });

  it('does not count denied requests', () => {
    const limiter = new RollingWindowLimiter({ limit: 2, windowMs: 1000 });
    burst(limiter, 'demo', 0, 2);
    expect(burst(limiter, 'demo', 500, 50)).toBe(0);
    // Had the 50 denied requests counted, the window would still be full at 1000.
    expect(burst(limiter, 'demo', 1000, 2)).toBe(2);
  });

  it('keeps a separate budget per token', () => {
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000 });
    expect(limiter.check('a', 0).allowed).toBe(true);
    expect(limiter.check('b', 0).allowed).toBe(true);
    expect(limiter.check('a', 0).allowed).toBe(false);
  });

  it('rolls rather than resetting at fixed boundaries', () => {
    const limiter = new RollingWindowLimiter({ limit: 10, windowMs: 1000 });
    expect(burst(limiter, 'demo', 900, 10)).toBe(10);
    // A fixed one-second window would reset at 1000; a rolling one stays full until 1900.
    expect(burst(limiter, 'demo', 1100, 1)).toBe(0);
    expect(burst(limiter, 'demo', 1900, 10)).toBe(10);
  });

  it('forgets everything on reset()', () => {
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000 });
    limiter.check('demo', 0);
    limiter.reset();
    expect(limiter.check('demo', 0).allowed).toBe(true);
  });

  it('refuses a limit or window out of range', () => {
    expect(() => new RollingWindowLimiter({ limit: 0 })).toThrow(RangeError);
    expect(() => new RollingWindowLimiter({ limit: 2.5 })).toThrow(RangeError);
    expect(() => new RollingWindowLimiter({ windowMs: 0 })).toThrow(RangeError);
    expect(() => new RollingWindowLimiter({ windowMs: Number.NaN })).toThrow(RangeError);
  });

  it('probes without taking a slot, and records without asking', () => {
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000 });
    expect(limiter.probe('demo', 0)).toEqual({ allowed: true });
    expect(limiter.probe('demo', 0)).toEqual({ allowed: true });
    limiter.record('demo', 0);
    expect(limiter.probe('demo', 10)).toEqual({ allowed: false, retryAfterMs: 990 });
  });

  it('tells the free slots and when the oldest request leaves the window', () => {
    const limiter = new RollingWindowLimiter({ limit: 3, windowMs: 1000 });
    expect(limiter.state('demo', 0)).toEqual({ remaining: 3, resetMs: 0 });
    limiter.check('demo', 100);
    limiter.check('demo', 200);
    expect(limiter.state('demo', 300)).toEqual({ remaining: 1, resetMs: 800 });
  });

  it('binds a lower limit at once, freeing a slot when enough requests have left', () => {
    const limiter = new RollingWindowLimiter({ limit: 5, windowMs: 1000 });
    for (const time of [0, 100, 200, 300, 400]) limiter.check('demo', time);
    limiter.setLimit({ limit: 2 });
    expect(limiter.limit).toBe(2);
    // Five in the window, two allowed: a slot frees when the fourth oldest (at 300) leaves.
    expect(limiter.check('demo', 500)).toEqual({ allowed: false, retryAfterMs: 800 });
    expect(limiter.state('demo', 500).remaining).toBe(0);
    expect(limiter.check('demo', 1300)).toEqual({ allowed: true });
    limiter.setLimit({ windowMs: 10 });
    expect(limiter.windowMs).toBe(10);
    expect(() => limiter.setLimit({ limit: -1 })).toThrow(RangeError);
  });
});
