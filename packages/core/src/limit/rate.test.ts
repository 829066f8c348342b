import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { checkRate, formatRate, parseRate } from './rate.js';

describe('parseRate', () => {
  it.each([
    ['9/1s', { limit: 9, periodMs: 1000, burst: 1 }],
    ['9/s', { limit: 9, periodMs: 1000, burst: 1 }],
    [' 9 / 1s ', { limit: 9, periodMs: 1000, burst: 1 }],
    ['100/1m', { limit: 100, periodMs: 60_000, burst: 1 }],
    ['5/500ms', { limit: 5, periodMs: 500, burst: 1 }],
    ['1/1h', { limit: 1, periodMs: 3_600_000, burst: 1 }],
    ['3/1.5s', { limit: 3, periodMs: 1500, burst: 1 }],
    ['20/1s,burst=5', { limit: 20, periodMs: 1000, burst: 5 }],
    ['20/1s, burst = 20', { limit: 20, periodMs: 1000, burst: 20 }],
  ])('reads %j', (text, rate) => {
    expect(parseRate(text)).toEqual(rate);
  });

  it.each(['', '9', '9/', '/1s', 'nine/1s', '9/1d', '-1/1s', '9/1s,', '9/1s,burst=', '9/1s burst=2'])(
    'rejects %j as not a rate',
    (text) => {
      expect(() => parseRate(text)).toThrow(InvalidOptionError);
    },
  );

  it.each([
    ['0/1s', 'limit'],
    ['9/0s', 'period'],
    ['9/1s,burst=0', 'burst'],
    ['9/1s,burst=10', 'burst'],
  ])('rejects %j for its %s', (text, part) => {
    expect(() => parseRate(text)).toThrow(new RegExp(part));
  });

  it('names the option in its error', () => {
    expect(() => parseRate('fast', 'limiter.rate')).toThrow(
      expect.objectContaining({ name: 'InvalidOptionError', option: 'limiter.rate', code: 'INVALID_OPTION' }),
    );
  });
});

describe('checkRate', () => {
  it('rejects a fractional limit or burst and a period that is not finite', () => {
    expect(() => checkRate({ limit: 1.5, periodMs: 1000, burst: 1 })).toThrow(InvalidOptionError);
    expect(() => checkRate({ limit: 2, periodMs: 1000, burst: 1.5 })).toThrow(InvalidOptionError);
    expect(() => checkRate({ limit: 2, periodMs: Number.POSITIVE_INFINITY, burst: 1 })).toThrow(
      InvalidOptionError,
    );
    expect(() => checkRate({ limit: 2, periodMs: Number.NaN, burst: 1 })).toThrow(InvalidOptionError);
  });

  it('returns a valid rate as it is', () => {
    const rate = { limit: 9, periodMs: 1000, burst: 3 };
    expect(checkRate(rate)).toBe(rate);
  });
});

describe('formatRate', () => {
  it.each(['9/1s', '100/60s', '5/500ms', '20/1s,burst=5'])('writes %j back as parseRate reads it', (text) => {
    expect(formatRate(parseRate(text))).toBe(text);
  });
});
