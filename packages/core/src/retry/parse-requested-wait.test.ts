import { describe, expect, it } from 'vitest';
import { parseRequestedWait } from './parse-requested-wait.js';

const now = Date.parse('2024-03-01T12:00:00Z');

describe('parseRequestedWait', () => {
  it('takes Retry-After first, whatever the reset says', () => {
    const headers = new Headers({ 'retry-after': '2', 'ratelimit-reset': '3600' });

    expect(parseRequestedWait(429, headers, now)).toBe(2000);
  });

  it('reads a 429 with only RateLimit-Reset as a wait until the reset', () => {
    expect(parseRequestedWait(429, new Headers({ 'ratelimit-reset': '3600' }), now)).toBe(3_600_000);
  });

  it('reads an X-RateLimit-Reset that large as seconds since the epoch', () => {
    const headers = new Headers({ 'x-ratelimit-reset': String(now / 1000 + 90) });

    expect(parseRequestedWait(429, headers, now)).toBe(90_000);
  });

  it("reads the draft's RateLimit field", () => {
    expect(parseRequestedWait(429, new Headers({ ratelimit: '"p";r=0;t=3600' }), now)).toBe(3_600_000);
  });

  it('asks no wait of a reset on an answer that is not a 429', () => {
    expect(parseRequestedWait(200, new Headers({ 'ratelimit-reset': '3600' }), now)).toBeUndefined();
    expect(parseRequestedWait(503, new Headers({ 'ratelimit-reset': '3600' }), now)).toBeUndefined();
  });

  it.each([
    ['garbage', 'soon'],
    ['negative', '-5'],
    ['a fraction', '1.5'],
    ['an exponent', '1e300'],
    ['over a day', '86401'],
    ['absurdly large', '9'.repeat(400)],
    ['an epoch in the past', String(now / 1000 - 10)],
  ])('drops a reset that is %s', (_name, value) => {
    expect(parseRequestedWait(429, new Headers({ 'ratelimit-reset': value }), now)).toBeUndefined();
    expect(parseRequestedWait(429, new Headers({ 'x-ratelimit-reset': value }), now)).toBeUndefined();
  });

  it('says nothing of a 429 that states no wait', () => {
    expect(parseRequestedWait(429, new Headers(), now)).toBeUndefined();
  });
});
