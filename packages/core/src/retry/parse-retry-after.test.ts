import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './parse-retry-after.js';

const now = Date.parse('2024-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads Retry-After as whole seconds', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
  });

  it('reads Retry-After with a fraction of a second', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '1.5' }), now)).toBe(1500);
  });

  it('reads Retry-After as an HTTP date, relative to now', () => {
    const headers = new Headers({ 'retry-after': 'Fri, 01 Mar 2024 12:00:07 GMT' });

    expect(parseRetryAfter(headers, now)).toBe(7000);
  });

  it('reads an HTTP date in the past as no wait', () => {
    const headers = new Headers({ 'retry-after': 'Fri, 01 Mar 2024 11:59:00 GMT' });

    expect(parseRetryAfter(headers, now)).toBe(0);
  });

  it('reads a negative number of seconds as no wait', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '-5' }), now)).toBe(0);
  });

  it('prefers the exact Retry-After-Ms to the rounded Retry-After', () => {
    const headers = new Headers({ 'retry-after': '1', 'retry-after-ms': '250' });

    expect(parseRetryAfter(headers, now)).toBe(250);
  });

  it('reads Retry-After-Ms of zero as no wait', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '0', 'retry-after': '1' }), now)).toBe(0);
  });

  it.each(['soon', '-10', ''])('falls back to Retry-After when Retry-After-Ms is %j', (exact) => {
    const headers = new Headers({ 'retry-after-ms': exact, 'retry-after': '2' });

    expect(parseRetryAfter(headers, now)).toBe(2000);
  });

  it('returns undefined without either header', () => {
    expect(parseRetryAfter(new Headers({ 'content-type': 'application/json' }), now)).toBeUndefined();
  });

  it.each(['', '   ', 'tomorrow-ish'])('returns undefined for a Retry-After of %j', (value) => {
    expect(parseRetryAfter(new Headers({ 'retry-after': value }), now)).toBeUndefined();
  });

  it('measures an HTTP date against the current time by default', () => {
    const inOneMinute = new Date(Date.now() + 60_000).toUTCString();

    const waitMs = parseRetryAfter(new Headers({ 'retry-after': inOneMinute }));

    // toUTCString drops the milliseconds, so the wait is at most a second short of a minute.
    expect(waitMs).toBeGreaterThan(58_000);
    expect(waitMs).toBeLessThanOrEqual(60_000);
  });
});
