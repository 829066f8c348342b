import { describe, expect, it } from 'vitest';
import {
  HttpStatusError,
  InvalidOptionError,
  isRunDeferred,
  RunDeferredError,
  TransientError,
} from '../errors.js';
import { checkDeferAfter, deferralFor, deferralOf, maxDeferralMs } from './defer-decision.js';
import { parseRequestedWait } from './parse-requested-wait.js';
import { parseRetryAfter } from './parse-retry-after.js';

const now = Date.UTC(2026, 10, 29, 16, 0, 0);
const label = { taskKey: 'a'.repeat(64), page: 3, type: 'wtd.stock_search' };

/** A 429 as a connector's client makes it from a response's headers. */
function tooManyRequests(headers: Record<string, string>): HttpStatusError {
  return new HttpStatusError(429, 'Too Many Requests', {
    retryAfterMs: parseRetryAfter(new Headers(headers), now),
  });
}

describe('deferralOf', () => {
  it('defers a Retry-After in seconds longer than the threshold, until now plus the pause', () => {
    const deferral = deferralOf(tooManyRequests({ 'retry-after': '3600' }), 300_000, now, label);
    expect(deferral).toBeInstanceOf(RunDeferredError);
    expect(deferral?.resumeAt).toBe(now + 3_600_000);
    expect(deferral?.waitMs).toBe(3_600_000);
    expect(deferral?.taskKey).toBe(label.taskKey);
    expect(deferral?.code).toBe('RUN_DEFERRED');
  });

  it('defers a Retry-After given as an HTTP date, until that date', () => {
    const resume = now + 2 * 3_600_000;
    const error = tooManyRequests({ 'retry-after': new Date(resume).toUTCString() });
    expect(deferralOf(error, 300_000, now)?.resumeAt).toBe(resume);
  });

  it('waits out a pause no longer than the threshold (the threshold itself included)', () => {
    expect(deferralOf(tooManyRequests({ 'retry-after': '300' }), 300_000, now)).toBeUndefined();
    expect(deferralOf(tooManyRequests({ 'retry-after': '301' }), 300_000, now)).toBeDefined();
  });

  it('never defers with an infinite threshold, and defers any pause with a threshold of 0', () => {
    expect(deferralOf(tooManyRequests({ 'retry-after': '86400' }), Infinity, now)).toBeUndefined();
    expect(deferralOf(tooManyRequests({ 'retry-after': '1' }), 0, now)?.resumeAt).toBe(now + 1000);
  });

  it('does not defer an error without a Retry-After, nor one that is not an error', () => {
    expect(deferralOf(new HttpStatusError(503, 'Unavailable'), 0, now)).toBeUndefined();
    expect(deferralOf(new TransientError('reset'), 0, now)).toBeUndefined();
    expect(deferralOf('Retry-After: 3600', 0, now)).toBeUndefined();
    expect(deferralOf(null, 0, now)).toBeUndefined();
  });

  it.each([
    ['a negative number', '-3600'],
    ['text', 'soon'],
    ['an empty value', ''],
    ['an overflowing number', '1e400'],
    ['a date in the past', 'Thu, 01 Jan 1970 00:00:00 GMT'],
  ])('does not defer a hostile Retry-After: %s', (_name, value) => {
    expect(deferralOf(tooManyRequests({ 'retry-after': value }), 300_000, now)).toBeUndefined();
  });

  it.each([
    ['a huge number of seconds', { 'retry-after': '1e300' }],
    ['a date in the year 9999', { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' }],
    ['a huge Retry-After-Ms', { 'retry-after-ms': '99999999999999999999' }],
  ])('caps an absurd pause at the longest deferral: %s', (_name, headers) => {
    const deferral = deferralOf(tooManyRequests(headers), 300_000, now);
    expect(deferral?.waitMs).toBe(maxDeferralMs);
    expect(deferral?.resumeAt).toBe(now + maxDeferralMs);
    expect(() => new Date(deferral?.resumeAt ?? Number.NaN).toISOString()).not.toThrow();
  });

  it('caps a pause at the configured Retry-After cap, reset-only 429s included', () => {
    const reset = new HttpStatusError(429, 'Too Many Requests', {
      retryAfterMs: parseRequestedWait(429, new Headers({ 'ratelimit-reset': '7200' }), now),
    });
    expect(deferralOf(reset, 300_000, now, label, 3_600_000)?.waitMs).toBe(3_600_000);
    expect(deferralOf(reset, 300_000, now)?.waitMs).toBe(7_200_000);
    // A cap below the threshold: the pause is waited out, not deferred.
    expect(deferralOf(reset, 300_000, now, label, 60_000)).toBeUndefined();
  });

  it('reads a retryAfterMs that is not a finite number ≥ 0 as none', () => {
    for (const retryAfterMs of [Number.NaN, -1, Infinity, Number.NEGATIVE_INFINITY]) {
      expect(deferralOf(Object.assign(new Error('429'), { retryAfterMs }), 0, now)).toBeUndefined();
    }
    expect(deferralOf(Object.assign(new Error('429'), { retryAfterMs: '3600000' }), 0, now)).toBeUndefined();
  });

  it('says when the run may resume and for how long, naming the task, in its message', () => {
    const deferral = deferralOf(tooManyRequests({ 'retry-after': '3600' }), 300_000, now, label);
    expect(deferral?.message).toBe(
      `Task aaaaaaaaaaaa (wtd.stock_search page 3): the API asked to pause for 1 h 0 min, beyond the deferral threshold: the run is deferred until 2026-11-29T17:00:00.000Z.`,
    );
  });

  it('is recognised by isRunDeferred, also across copies of the package (by brand and code)', () => {
    const deferral = deferralFor(600_000, 1000, now);
    expect(isRunDeferred(deferral)).toBe(true);
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('capital.error')]: true,
      code: 'RUN_DEFERRED',
      resumeAt: now,
    });
    expect(isRunDeferred(foreign)).toBe(true);
    expect(isRunDeferred(new HttpStatusError(429, 'x', { retryAfterMs: 3_600_000 }))).toBe(false);
  });
});

describe('deferralFor', () => {
  it('defers a pause only when it is longer than the threshold', () => {
    expect(deferralFor(1000, 1000, now)).toBeUndefined();
    expect(deferralFor(1001, 1000, now)?.resumeAt).toBe(now + 1001);
    expect(deferralFor(Number.NaN, 1000, now)).toBeUndefined();
  });
});

describe('checkDeferAfter', () => {
  it('takes a number of ms ≥ 0 or Infinity, and refuses the rest', () => {
    expect(checkDeferAfter(0)).toBe(0);
    expect(checkDeferAfter(Infinity)).toBe(Infinity);
    for (const value of [-1, Number.NaN, '5' as unknown as number]) {
      expect(() => checkDeferAfter(value)).toThrow(InvalidOptionError);
    }
  });
});
