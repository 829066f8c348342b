import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { taskKey } from '../task.js';
import { SeenKeys } from './seen-keys.js';

const keyOf = (n: number): string => taskKey({ type: 'seen', n });

describe('SeenKeys', () => {
  prop.prop([fc.uniqueArray(fc.nat({ max: 100_000 }), { maxLength: 3_000 })])(
    'finds every key it was given, by its sequence number, and none other',
    (numbers) => {
      const seen = new SeenKeys(Infinity);
      numbers.forEach((n, index) => {
        expect(seen.add(keyOf(n), index - 1)).toBe(index);
      });

      numbers.forEach((n, index) => {
        expect(seen.find(keyOf(n))).toBe(index);
      });
      expect(seen.find(keyOf(-1))).toBe(-1);
    },
  );

  it('remembers at least the last maxKeys / 2 keys and forgets older ones', () => {
    const seen = new SeenKeys(100);
    for (let n = 0; n < 1_000; n += 1) seen.add(keyOf(n), n - 1);

    for (let n = 950; n < 1_000; n += 1) expect(seen.find(keyOf(n))).toBe(n);
    expect(seen.find(keyOf(0))).toBe(-1);
    expect(seen.find(keyOf(800))).toBe(-1);
  });

  it('walks up a chain of parents, stopping where it forgot', () => {
    const seen = new SeenKeys(Infinity);
    for (let n = 0; n < 10; n += 1) seen.add(keyOf(n), n - 1);

    expect(seen.isAncestorOrSelf(3, 9)).toBe(true);
    expect(seen.isAncestorOrSelf(9, 3)).toBe(false);
    const bounded = new SeenKeys(4);
    for (let n = 0; n < 10; n += 1) bounded.add(keyOf(n), n - 1);
    expect(bounded.isAncestorOrSelf(0, 9)).toBe(false);
    expect(bounded.isAncestorOrSelf(8, 9)).toBe(true);
  });
});
