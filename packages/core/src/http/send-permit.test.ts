import { describe, expect, it } from 'vitest';
import { createSendPermit, maxSendDelayFor } from './send-permit.js';

describe('maxSendDelayFor', () => {
  it('is half the interval of the rate, so that 9/1s holds at most 10 in any second at the server', () => {
    const bound = maxSendDelayFor('wtd', { limit: 9, periodMs: 1000, burst: 1 });
    expect(bound).toBe(55);
    // GCRA grants in a window of 1 s + J: at most ⌊9 · (1 + J)⌋ + 1, which is 10 while J < 1/9 s.
    expect(Math.floor(9 * (1 + bound / 1000)) + 1).toBeLessThanOrEqual(10);
  });

  it('takes the fastest of the layers, and a floor for fast rates', () => {
    const layers = [{ key: 'acct' }, { key: 'acct:charges', rate: '25/1s' }];
    expect(maxSendDelayFor(layers, { limit: 100, periodMs: 1000, burst: 1 })).toBe(5);
    expect(maxSendDelayFor(layers, { limit: 10, periodMs: 1000, burst: 1 })).toBe(20);
    expect(maxSendDelayFor('k', { limit: 1000, periodMs: 1000, burst: 1 })).toBe(5);
    expect(maxSendDelayFor('k', undefined)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('createSendPermit', () => {
  it('marks a permit used once sent, and a renewal replaces its grant', async () => {
    const spent: number[] = [];
    const permit = createSendPermit({
      grantedAt: 1,
      maxDelayMs: 55,
      take: async () => 500,
      onSpent: (age) => spent.push(age),
    });
    permit.sent(3);
    expect(permit.used).toBe(true);
    await permit.renew();
    expect({ grantedAt: permit.grantedAt, used: permit.used, spent: spent.length }).toEqual({
      grantedAt: 500,
      used: false,
      spent: 1,
    });
  });
});
