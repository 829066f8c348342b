import { HttpStatusError, InvalidOptionError, TransientError } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { crawlBackoff } from './crawl-backoff.js';

const noJitter = { randomize: false, minTimeoutMs: 100, factor: 2, maxTimeoutMs: 1000 } as const;

describe('crawlBackoff', () => {
  it('doubles the delay from one retry to the next, up to the maximum', () => {
    const backoff = crawlBackoff(noJitter);
    const error = new TransientError('flaky');
    expect([1, 2, 3, 4, 5].map((retry) => backoff(retry, 'capital', error))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
  });

  it('never retries before the Retry-After the failed attempt carried', () => {
    const backoff = crawlBackoff(noJitter);
    const tooMany = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 2500 });
    expect(backoff(1, 'capital', tooMany)).toBe(2500);
  });

  it('reads a Retry-After kept by a wrapping error', () => {
    const backoff = crawlBackoff(noJitter);
    const wrapped = new TransientError('attempt 1 of 6 failed', { retryAfterMs: 1500 });
    expect(backoff(1, 'capital', wrapped)).toBe(1500);
  });

  it('jitters each delay by a factor from 1 to 2', () => {
    const backoff = crawlBackoff({ ...noJitter, randomize: true }, () => 0.5);
    expect(backoff(2, 'capital', new TransientError('x'))).toBe(300);
  });

  it('rejects options out of range where they enter', () => {
    expect(() => crawlBackoff({ factor: 0.5 })).toThrow(InvalidOptionError);
  });
});
