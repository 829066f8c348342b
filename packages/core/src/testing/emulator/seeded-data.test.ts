import { describe, expect, it } from 'vitest';
import { seededRandom } from '../synthetic-source.js';
import { createIdMinter, generateDataset, seededTimestamps } from './seeded-data.js';

const makeCharge = (index: number, tools: Parameters<Parameters<typeof generateDataset>[1]>[1]) => ({
  index,
  id: tools.id('ch_'),
  amount: tools.integer(100, 200),
  currency: tools.pick(['usd', 'eur']),
});

describe('generateDataset', () => {
  it('gives the same records for the same seed and size, and others for another seed', () => {
    const first = generateDataset({ size: 50, seed: 7 }, makeCharge);
    expect(generateDataset({ size: 50, seed: 7 }, makeCharge)).toEqual(first);
    expect(generateDataset({ size: 50, seed: 8 }, makeCharge)).not.toEqual(first);
    expect(first.map((charge) => charge.index)).toEqual([...Array(50).keys()]);
  });

  it('draws integers within bounds and picks from the list', () => {
    const charges = generateDataset({ size: 500 }, makeCharge);
    expect(charges.every((charge) => charge.amount >= 100 && charge.amount <= 200)).toBe(true);
    expect(new Set(charges.map((charge) => charge.amount)).has(200)).toBe(true);
    expect(new Set(charges.map((charge) => charge.currency))).toEqual(new Set(['usd', 'eur']));
  });

  it('refuses a size that is not a whole number', () => {
    expect(() => generateDataset({ size: -1 }, makeCharge)).toThrow(RangeError);
    expect(() => generateDataset({ size: 1.5 }, makeCharge)).toThrow(RangeError);
  });
});

describe('createIdMinter', () => {
  it('mints ids of the prefix and length, never the same twice, even from a generator that repeats', () => {
    const mint = createIdMinter(seededRandom(1));
    expect(mint('cus_')).toMatch(/^cus_[0-9A-Za-z]{14}$/);
    let calls = 0;
    // A generator that gives the same id twice before moving on.
    const repeating = () => Math.floor(calls++ / 12) / 10;
    const minter = createIdMinter(repeating, 6);
    const ids = [minter('x_'), minter('x_'), minter('x_')];
    expect(new Set(ids).size).toBe(3);
    expect(() => createIdMinter(seededRandom(1), 5)).toThrow(RangeError);
  });
});

describe('seededTimestamps', () => {
  it('spreads whole timestamps between the bounds, sorted, the same for the same seed', () => {
    const times = seededTimestamps({ count: 200, from: 1_700_000_000, to: 1_700_000_100, seed: 3 });
    expect(times).toHaveLength(200);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(
      times.every((time) => Number.isInteger(time) && time >= 1_700_000_000 && time <= 1_700_000_100),
    ).toBe(true);
    expect(new Set(times).size).toBeLessThan(200);
    expect(seededTimestamps({ count: 200, from: 1_700_000_000, to: 1_700_000_100, seed: 3 })).toEqual(times);
  });

  it('refuses a bad count or range', () => {
    expect(() => seededTimestamps({ count: -1, from: 0, to: 1 })).toThrow(RangeError);
    expect(() => seededTimestamps({ count: 1, from: 2, to: 1 })).toThrow(RangeError);
  });
});
