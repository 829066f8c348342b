import { describe, expect, it } from 'vitest';
import { announcedWindowMs, parseRateLimitHeaders } from './rate-limit-headers.js';

const parse = (fields: Record<string, string>, now = 0) => parseRateLimitHeaders(new Headers(fields), now);

describe('parseRateLimitHeaders', () => {
  it('reads the structured RateLimit-Policy and RateLimit fields of the current draft', () => {
    expect(parse({ 'ratelimit-policy': '"default";q=100;w=60', ratelimit: '"default";r=50;t=30' })).toEqual({
      limit: 100,
      windowMs: 60_000,
      remaining: 50,
      resetMs: 30_000,
    });
  });

  it('takes the tightest of several policies, and l= of earlier revisions', () => {
    expect(parse({ 'ratelimit-policy': 'burst;l=100;w=1, "day";q=1000;w=86400' })).toEqual({
      limit: 1000,
      windowMs: 86_400_000,
    });
  });

  it('reads the earlier drafts’ RateLimit-Limit, -Remaining and -Reset, with policies in the limit', () => {
    expect(
      parse({ 'ratelimit-limit': '10, 10;w=1', 'ratelimit-remaining': '7', 'ratelimit-reset': '1' }),
    ).toEqual({ limit: 10, windowMs: 1000, remaining: 7, resetMs: 1000 });
  });

  it('reads X-RateLimit-* with a reset in seconds from now or since the epoch', () => {
    expect(
      parse({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '59', 'x-ratelimit-reset': '60' }),
    ).toEqual({
      limit: 60,
      remaining: 59,
      resetMs: 60_000,
    });
    expect(
      parse({ 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': '1764547260' }, 1_764_547_200_000),
    ).toEqual({
      limit: 5000,
      resetMs: 60_000,
    });
  });

  it.each([
    ['a negative limit', { 'ratelimit-limit': '-10' }],
    ['a fraction', { 'x-ratelimit-limit': '10.5' }],
    ['an exponent', { 'x-ratelimit-limit': '1e3' }],
    ['hex', { 'x-ratelimit-limit': '0x10' }],
    ['a limit of zero', { 'x-ratelimit-limit': '0' }],
    ['a limit over a million', { 'x-ratelimit-limit': '99999999999' }],
    ['a window over a day', { 'ratelimit-policy': '"d";q=10;w=999999999' }],
    ['a window of zero', { 'ratelimit-policy': '"d";q=10;w=0' }],
    ['a reset over a day', { 'ratelimit-reset': '100000' }],
    ['an epoch reset in the past', { 'x-ratelimit-reset': '1000000001' }],
    ['text', { 'ratelimit-limit': 'lots', 'ratelimit-remaining': 'some' }],
    ['a field over 1 KB', { 'ratelimit-limit': `10, ${'1;w=1, '.repeat(400)}` }],
  ])('ignores %s', (_name, fields) => {
    expect(parse(fields, 1_764_547_200_000)).toBeUndefined();
  });

  it('cuts a remaining count above the limit to the limit', () => {
    expect(parse({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '5000' })).toEqual({
      limit: 10,
      remaining: 10,
    });
  });

  it('keeps the values in range when others are broken', () => {
    expect(
      parse({ 'ratelimit-limit': '10', 'ratelimit-remaining': '-3', 'ratelimit-reset': 'soon' }),
    ).toEqual({
      limit: 10,
    });
  });

  it('is not confused by commas and semicolons inside quoted policy names', () => {
    expect(parse({ 'ratelimit-policy': '"a,b;q=1";q=20;w=2' })).toEqual({ limit: 20, windowMs: 2000 });
  });
});

describe('announcedWindowMs', () => {
  it('is the stated window', () => {
    expect(announcedWindowMs({ limit: 10, windowMs: 2000, remaining: 0, resetMs: 500 })).toBe(2000);
  });

  it('is the reset when the window has just begun', () => {
    expect(announcedWindowMs({ limit: 10, remaining: 9, resetMs: 1000 })).toBe(1000);
  });

  it('cannot be told mid-window without a stated window', () => {
    expect(announcedWindowMs({ limit: 10, remaining: 4, resetMs: 1000 })).toBeUndefined();
    expect(announcedWindowMs({ limit: 10 })).toBeUndefined();
  });
});
