import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { digestOfKey } from './digest-of.js';
import { DigestSet } from './digest-set.js';

// Words from a small pool, so that digests share first words (the same slot, long probe runs),
// other words, or are all zero (the digest that reads as an empty slot).
const word = fc.oneof(fc.constantFrom(0, 1, 0x8000_0000, 0xffff_ffff, 16, 17), fc.nat({ max: 0xffff_ffff }));
const digest = fc.tuple(word, word, word, word);
const operations = fc.array(
  fc.record({ digest, offset: fc.nat({ max: 3 }), add: fc.boolean() }),
  // 'max': lengths up to 400 (fast-check's default keeps arrays to about ten), so that the sets
  // of 16–128 flat slots double, begin their move and end it.
  { maxLength: 400, size: 'max' },
);

describe('DigestSet against a Set of digests', () => {
  prop.prop([operations, fc.constantFrom(16, 32, 128, 1 << 17)])(
    'holds what was added and nothing else, before and after it moves into a DigestTable',
    (steps, flatSlots) => {
      const set = new DigestSet({ flatSlots });
      const model = new Set<string>();
      for (const step of steps) {
        // The digest at an offset in a longer array, as a page's digests are given.
        const words = new Uint32Array(4 * (step.offset + 1));
        words.set(step.digest, step.offset * 4);
        const name = step.digest.join(',');
        expect(set.has(words, step.offset * 4)).toBe(model.has(name));
        if (step.add && !model.has(name)) {
          set.add(words, step.offset * 4);
          model.add(name);
        }
        expect(set.count).toBe(model.size);
      }

      for (const name of model) expect(set.has(Uint32Array.from(name.split(',').map(Number)))).toBe(true);
    },
  );
});

describe('DigestSet', () => {
  it('keeps finding every digest across its doublings and the move, and none other', () => {
    const set = new DigestSet({ flatSlots: 1024 });
    // 0.7 of 1,024 slots is 716 digests: the rest go into a table, and the first 716 follow them
    // over the next 128 adds.
    for (let n = 0; n < 5_000; n += 1) {
      expect(set.has(digestOfKey(`key ${n}`))).toBe(false);
      set.add(digestOfKey(`key ${n}`));
    }

    for (let n = 0; n < 5_000; n += 1) expect(set.has(digestOfKey(`key ${n}`))).toBe(true);
    expect(set.has(digestOfKey('key 5000'))).toBe(false);
    expect(set.count).toBe(5_000);
  });

  it('holds its digests whatever count it is told to expect, sized for at most a bounded one', () => {
    for (const expected of [Number.NaN, -1, 0, 5_000, 1e12, Number.POSITIVE_INFINITY]) {
      const set = new DigestSet({ expected, flatSlots: 64 });
      for (let n = 0; n < 100; n += 1) set.add(digestOfKey(`key ${n}`));

      for (let n = 0; n < 100; n += 1) expect(set.has(digestOfKey(`key ${n}`))).toBe(true);
      expect(set.has(digestOfKey('key 100'))).toBe(false);
    }
  });

  it('refuses a flat size that is not a power of two of at least 16', () => {
    expect(() => new DigestSet({ flatSlots: 100 })).toThrow(RangeError);
    expect(() => new DigestSet({ flatSlots: 8 })).toThrow(RangeError);
  });
});
