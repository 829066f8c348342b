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

  it('keeps the parent of each key past the small chunks, into the big ones', () => {
    const seen = new SeenKeys(Infinity);
    // 16 small chunks of 4,096 keys, then big ones of 65,536.
    const count = 70_000;
    for (let n = 0; n < count; n += 1) seen.add(keyOf(n), n - 1);

    for (const n of [1, 4_095, 4_096, 65_535, 65_536, 65_537, count - 1])
      expect(seen.parentOf(n)).toBe(n - 1);
    expect(seen.isAncestorOrSelf(4_000, count - 1)).toBe(true);
    expect(seen.find(keyOf(count - 1))).toBe(count - 1);
  });
});
