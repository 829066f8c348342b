import { describe, expect, it } from 'vitest';
import {
  HttpStatusError,
  InvalidOptionError,
  InvalidResponseError,
  NonErrorThrownError,
  NonRetryableError,
  RateLimiterUnavailableError,
  TransientError,
} from '../errors.js';
import { isRetryable, resolveRetryPolicy, retryAfterOf, retryDelay } from './retry-policy.js';

const withCode = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

describe('resolveRetryPolicy', () => {
  it('fills in the documented defaults', () => {
    expect(resolveRetryPolicy()).toEqual({
      retries: 5,
      factor: 2,
      minTimeoutMs: 200,
      maxTimeoutMs: 30_000,
      randomize: true,
      maxRetryAfterMs: 300_000,
      retryAfterCapMs: 86_400_000,
    });
  });

  it('keeps the options it is given', () => {
    expect(
      resolveRetryPolicy({ retries: 0, factor: 1, minTimeoutMs: 0, maxTimeoutMs: 0, randomize: false }),
    ).toEqual({
      retries: 0,
      factor: 1,
      minTimeoutMs: 0,
      maxTimeoutMs: 0,
      randomize: false,
      maxRetryAfterMs: 300_000,
      retryAfterCapMs: 86_400_000,
    });
  });

  it.each([
    [{ retries: -1 }, 'retry.retries'],
    [{ retries: 1.5 }, 'retry.retries'],
    [{ retries: Number.NaN }, 'retry.retries'],
    [{ factor: 0.5 }, 'retry.factor'],
    [{ factor: Number.NaN }, 'retry.factor'],
    [{ minTimeoutMs: -1 }, 'retry.minTimeoutMs'],
    [{ minTimeoutMs: 500, maxTimeoutMs: 100 }, 'retry.minTimeoutMs'],
  ])('rejects %j with an InvalidOptionError naming %s', (options, option) => {
    expect(() => resolveRetryPolicy(options)).toThrow(InvalidOptionError);
    expect(() => resolveRetryPolicy(options)).toThrow(`Invalid option ${option}:`);
  });
});

describe('isRetryable', () => {
  it.each([
    ['a TransientError', new TransientError('m')],
    ['an HTTP 503', new HttpStatusError(503, 'Service Unavailable')],
    ['an HTTP 429', new HttpStatusError(429, 'Too Many Requests')],
    ['an HTTP 408', new HttpStatusError(408, 'Request Timeout')],
    ['a retryable invalid response', new InvalidResponseError('m', { retryable: true })],
    ['an unreachable limiter', new RateLimiterUnavailableError('wtd', 'm')],
    ['a plain Error that says retryable: true', Object.assign(new Error('m'), { retryable: true })],
    ['a SyntaxError (a truncated JSON body)', new SyntaxError('Unexpected end of JSON input')],
    ['a TimeoutError', new DOMException('The operation timed out.', 'TimeoutError')],
    ['an ECONNRESET', withCode('ECONNRESET')],
    ['an ETIMEDOUT', withCode('ETIMEDOUT')],
    ['an undici socket error', withCode('UND_ERR_SOCKET')],
    [
      'fetch failed, caused by ECONNREFUSED',
      new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }),
    ],
  ])('says %s is worth retrying', (_, error) => {
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('m')],
    ['an HTTP 404', new HttpStatusError(404, 'Not Found')],
    ['a permanent invalid response', new InvalidResponseError('m', { retryable: false })],
    ['a NonRetryableError', new NonRetryableError('m')],
    [
      'a NonRetryableError wrapping a transient one',
      new NonRetryableError('m', { cause: new TransientError('m') }),
    ],
    ['a non-Error thrown value, wrapped', new NonErrorThrownError('boom')],
    ['an EACCES', withCode('EACCES')],
    ['a TypeError from a bug', new TypeError('undefined is not a function')],
    ['a string', 'ECONNRESET'],
    ['a plain object that says retryable: true', { retryable: true }],
    ['undefined', undefined],
  ])('says %s is not worth retrying', (_, error) => {
    expect(isRetryable(error)).toBe(false);
  });

  it('does not loop on an error that is its own cause', () => {
    const error = new Error('m');
    Object.assign(error, { cause: error });

    expect(isRetryable(error)).toBe(false);
  });
});

describe('retryAfterOf', () => {
  it('reads the retryAfterMs of an error', () => {
    expect(retryAfterOf(new HttpStatusError(429, 'm', { retryAfterMs: 1200 }))).toBe(1200);
  });

  it.each([
    ['no Retry-After', new TransientError('m')],
    ['a negative one', new TransientError('m', { retryAfterMs: -5 })],
    ['a string', Object.assign(new Error('m'), { retryAfterMs: '5' })],
    ['null', null],
  ])('gives undefined for %s', (_, error) => {
    expect(retryAfterOf(error)).toBeUndefined();
  });

  it('reads an absurd Retry-After as the cap: a day unless told', () => {
    const tenYears = new HttpStatusError(429, 'm', { retryAfterMs: 10 * 365 * 86_400_000 });
    expect(retryAfterOf(tenYears)).toBe(86_400_000);
    expect(retryAfterOf(tenYears, 60_000)).toBe(60_000);
  });
});

describe('retryDelay with retryAfterCapMs', () => {
  it('waits the cap, not the absurd Retry-After', () => {
    const policy = resolveRetryPolicy({ retryAfterCapMs: 30_000, maxRetryAfterMs: 60_000, randomize: false });
    const error = new HttpStatusError(429, 'm', { retryAfterMs: 9e15 });
    expect(retryDelay(1, error, policy)).toBe(30_000);
  });

  it('refuses a cap that is not a finite number of ms', () => {
    expect(() => resolveRetryPolicy({ retryAfterCapMs: Number.POSITIVE_INFINITY })).toThrow(
      /retryAfterCapMs/,
    );
  });
});

describe('retryDelay', () => {
  const policy = resolveRetryPolicy({ minTimeoutMs: 100, factor: 3, maxTimeoutMs: 1000, randomize: false });

  it('grows by the factor from one retry to the next', () => {
    expect([1, 2, 3].map((retry) => retryDelay(retry, new TransientError('m'), policy))).toEqual([
      100, 300, 900,
    ]);
  });

  it('never exceeds maxTimeoutMs', () => {
    expect(retryDelay(4, new TransientError('m'), policy)).toBe(1000);
  });

  it('multiplies by 1 + random() when randomized', () => {
    const randomized = { ...policy, randomize: true };

    expect(retryDelay(2, new TransientError('m'), randomized, () => 0.5)).toBe(450);
    expect(retryDelay(1, new TransientError('m'), randomized, () => 0)).toBe(100);
  });

  it('waits at least the Retry-After', () => {
    expect(retryDelay(1, new TransientError('m', { retryAfterMs: 250 }), policy)).toBe(250);
  });

  it('waits a Retry-After longer than maxTimeoutMs in full', () => {
    expect(retryDelay(1, new HttpStatusError(429, 'm', { retryAfterMs: 5000 }), policy)).toBe(5000);
  });

  it('keeps the backoff when it is longer than the Retry-After', () => {
    expect(retryDelay(3, new TransientError('m', { retryAfterMs: 250 }), policy)).toBe(900);
  });

  it('rounds to whole milliseconds', () => {
    const randomized = { ...policy, randomize: true };

    expect(retryDelay(1, new TransientError('m'), randomized, () => 0.123_4)).toBe(112);
  });
});

describe('retryAfterOf', () => {
  it.each([
    [{ retryAfterMs: 5 }, 5],
    [{ retryAfterMs: -1 }, undefined],
    [{ retryAfterMs: Number.POSITIVE_INFINITY }, undefined],
    [{}, undefined],
    [null, undefined],
  ])('reads %j as %s', (value, expected) => {
    expect(retryAfterOf(value)).toBe(expected);
  });
});
