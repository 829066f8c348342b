import { describe, expect, it } from 'vitest';
import { mulberry32, pick } from './mulberry32.js';

describe('mulberry32', () => {
  it('gives the same sequence for the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });

  it('gives a different sequence for a different seed', () => {
    expect(mulberry32(1)()).not.toBe(mulberry32(2)());
  });

  it('stays within [0, 1)', () => {
    const values = Array.from({ length: 10_000 }, mulberry32(3));
    expect(values.filter((value) => !(value >= 0 && value < 1))).toEqual([]);
  });
});

describe('pick', () => {
  it('refuses an empty list', () => {
    expect(() => pick(mulberry32(1), [])).toThrow(RangeError);
  });
});
