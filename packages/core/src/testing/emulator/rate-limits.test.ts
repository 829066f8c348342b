import { describe, expect, it } from 'vitest';
import type { AdmitDecision, RateLimitOptions } from './rate-limits.js';
import { LayeredRateLimiter } from './rate-limits.js';

const CHARGES = 'GET /v1/charges';
const CUSTOMERS = 'GET /v1/customers';
const SEARCH = 'GET /v1/charges/search';

/** Stripe's sandbox shape: 25/s per account, 20/s per endpoint, search 5/s. */
const stripeLike: RateLimitOptions = {
  layers: [
    { name: 'global', limit: 25, windowMs: 1000 },
    { name: 'endpoint', limit: 20, windowMs: 1000, per: 'route' },
    { name: 'search', limit: 5, windowMs: 1000, routes: [SEARCH] },
  ],
};

function admitted(
  limits: LayeredRateLimiter,
  route: string,
  nowMs: number,
  count: number,
  principal = 'sk',
): number {
  let allowed = 0;
  for (let index = 0; index < count; index += 1)
    if (limits.admit(principal, route, nowMs).allowed) allowed += 1;
  return allowed;
}

function refusal(decision: AdmitDecision): { limit: string; retryAfterMs: number } | undefined {
  return decision.allowed ? undefined : { limit: decision.limit, retryAfterMs: decision.retryAfterMs };
}

describe('LayeredRateLimiter layers', () => {
  it('counts a request against every layer that covers it', () => {
    const limits = new LayeredRateLimiter(stripeLike);
    expect(admitted(limits, CHARGES, 0, 30)).toBe(20);
    // The 20 charges took 20 of the 25 global slots: customers get the 5 left.
    expect(admitted(limits, CUSTOMERS, 0, 30)).toBe(5);
  });

  it('admits atomically: a request refused by one layer takes no slot in the others', () => {
    const limits = new LayeredRateLimiter(stripeLike);
    expect(admitted(limits, SEARCH, 0, 5)).toBe(5);
    // 50 searches refused by the search layer must not eat the global budget.
    expect(admitted(limits, SEARCH, 10, 50)).toBe(0);
    expect(admitted(limits, CHARGES, 20, 20)).toBe(20);
  });

  it('names the refusing layer and the time until it frees a slot', () => {
    const limits = new LayeredRateLimiter(stripeLike);
    admitted(limits, SEARCH, 0, 5);
    expect(refusal(limits.admit('sk', SEARCH, 400))).toEqual({ limit: 'search', retryAfterMs: 600 });
    admitted(limits, CHARGES, 500, 20);
    expect(refusal(limits.admit('sk', CUSTOMERS, 700))).toEqual({ limit: 'global', retryAfterMs: 300 });
  });

  it('reports the layer that frees last when several refuse', () => {
    const limits = new LayeredRateLimiter({
      layers: [
        { name: 'short', limit: 1, windowMs: 100 },
        { name: 'long', limit: 1, windowMs: 1000 },
      ],
    });
    limits.admit('sk', CHARGES, 0);
    expect(refusal(limits.admit('sk', CHARGES, 50))).toEqual({ limit: 'long', retryAfterMs: 950 });
  });

  it('keeps separate budgets per token', () => {
    const limits = new LayeredRateLimiter(stripeLike);
    expect(admitted(limits, CHARGES, 0, 25, 'a')).toBe(20);
    expect(admitted(limits, CHARGES, 0, 25, 'b')).toBe(20);
  });

  it('refuses two layers of one name, or one named concurrency', () => {
    const layer = { name: 'x', limit: 1, windowMs: 1 };
    expect(() => new LayeredRateLimiter({ layers: [layer, layer] })).toThrow(RangeError);
    expect(() => new LayeredRateLimiter({ layers: [{ ...layer, name: 'concurrency' }] })).toThrow(RangeError);
  });
});

describe('LayeredRateLimiter concurrency', () => {
  it('admits at most `concurrency` requests of a token in flight, and another once one is released', () => {
    const limits = new LayeredRateLimiter({ concurrency: 2 });
    const first = limits.admit('sk', CHARGES, 0);
    const second = limits.admit('sk', CUSTOMERS, 0);
    expect(refusal(limits.admit('sk', CHARGES, 0))).toEqual({ limit: 'concurrency', retryAfterMs: 1000 });
    expect(limits.admit('other', CHARGES, 0).allowed).toBe(true);
    if (!first.allowed || !second.allowed) throw new Error('expected both admitted');
    first.release();
    first.release(); // twice is once
    expect(limits.admit('sk', CHARGES, 0).allowed).toBe(true);
    expect(limits.admit('sk', CHARGES, 0).allowed).toBe(false);
  });

  it('does not charge the rate layers for a request the concurrency limit refuses', () => {
    const limits = new LayeredRateLimiter({
      layers: [{ name: 'global', limit: 2, windowMs: 1000 }],
      concurrency: 1,
    });
    const first = limits.admit('sk', CHARGES, 0);
    expect(admitted(limits, CHARGES, 0, 10)).toBe(0);
    if (first.allowed) first.release();
    expect(limits.admit('sk', CHARGES, 0).allowed).toBe(true);
  });
});

describe('LayeredRateLimiter.setRateLimit', () => {
  it('drops a limit at once, counting the requests already in the window', () => {
    const limits = new LayeredRateLimiter({ layers: [{ name: 'global', limit: 10, windowMs: 1000 }] });
    expect(admitted(limits, CHARGES, 0, 6)).toBe(6);
    limits.setRateLimit('global', { limit: 4 });
    // Six in the window and a limit of four: a slot frees when three of the six have left.
    expect(refusal(limits.admit('sk', CHARGES, 100))).toEqual({ limit: 'global', retryAfterMs: 900 });
    limits.setRateLimit('global', { limit: 10 });
    expect(admitted(limits, CHARGES, 100, 10)).toBe(4);
  });

  it('changes the window and the concurrency limit too, and refuses an unknown layer', () => {
    const limits = new LayeredRateLimiter({
      layers: [{ name: 'global', limit: 1, windowMs: 1000 }],
      concurrency: 5,
    });
    limits.setRateLimit('global', { windowMs: 100 });
    expect(admitted(limits, CHARGES, 0, 2)).toBe(1);
    expect(admitted(limits, CHARGES, 100, 1)).toBe(1);
    limits.setRateLimit('concurrency', { limit: 2 });
    expect(limits.admit('sk', CHARGES, 200).allowed).toBe(false);
    expect(() => limits.setRateLimit('nope', { limit: 1 })).toThrow(RangeError);
    expect(() => limits.setRateLimit('global', { limit: 0 })).toThrow(RangeError);
  });
});

describe('LayeredRateLimiter headers', () => {
  it('describes the tightest layer with RateLimit-* headers, on admissions and refusals', () => {
    const limits = new LayeredRateLimiter({ ...stripeLike, headers: 'ratelimit' });
    admitted(limits, CHARGES, 0, 18);
    admitted(limits, CUSTOMERS, 100, 4);
    // Global: 22 of 25 used; charges endpoint: 18 of 20, so 1 left after this request.
    expect(limits.admit('sk', CHARGES, 300).headers).toEqual({
      'ratelimit-limit': '20',
      'ratelimit-remaining': '1',
      'ratelimit-reset': '1',
    });
    expect(limits.admit('sk', CHARGES, 1500).headers).toMatchObject({ 'ratelimit-remaining': '19' });
  });

  it('announces a fresh window as its whole length on a fractional clock, never a second more', () => {
    const limits = new LayeredRateLimiter({
      layers: [{ name: 'global', limit: 10, windowMs: 1000 }],
      headers: 'ratelimit',
    });
    // (t + 1000) − t is 1000.0000000000073 in doubles for this t: a reset of 2 s before rounding.
    const t = 65012.534925734355;
    expect(t + 1000 - t).toBeGreaterThan(1000);
    expect(limits.admit('sk', CHARGES, t).headers).toMatchObject({
      'ratelimit-remaining': '9',
      'ratelimit-reset': '1',
    });
  });

  it('uses the X-RateLimit-* names when asked, and none by default', () => {
    const layers = [{ name: 'global', limit: 3, windowMs: 2500 }];
    const x = new LayeredRateLimiter({ layers, headers: 'x-ratelimit' });
    expect(x.admit('sk', CHARGES, 0).headers).toEqual({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '2',
      'x-ratelimit-reset': '3',
    });
    expect(new LayeredRateLimiter({ layers }).admit('sk', CHARGES, 0).headers).toEqual({});
  });

  it.each([
    [1, '1', '1'],
    [999.2, '1', '1000'],
    [1000, '1', '1000'],
    [1001, '2', '1001'],
  ])('turns %d ms into Retry-After %s and, when asked, Retry-After-Ms %s', (milliseconds, seconds, exact) => {
    expect(new LayeredRateLimiter().retryHeaders(milliseconds)).toEqual({ 'retry-after': seconds });
    expect(new LayeredRateLimiter({ retryAfterMs: true }).retryHeaders(milliseconds)).toEqual({
      'retry-after': seconds,
      'retry-after-ms': exact,
    });
  });

  it('sends no Retry-After at all for an API that answers a bare 429', () => {
    expect(new LayeredRateLimiter({ retryAfter: false, retryAfterMs: true }).retryHeaders(500)).toEqual({});
  });
});
