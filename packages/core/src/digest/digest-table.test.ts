import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { digestOfText } from './digest-of.js';
import { DigestTable } from './digest-table.js';

describe('DigestTable', () => {
  prop.prop([fc.uniqueArray(fc.string(), { maxLength: 2_000 })])(
    'numbers digests in insertion order and finds each of them, and none other',
    (texts) => {
      const table = new DigestTable();
      texts.forEach((text, index) => {
        expect(table.add(digestOfText(text))).toBe(index);
      });

      texts.forEach((text, index) => {
        expect(table.find(digestOfText(text))).toBe(index);
      });
      expect(table.find(digestOfText(`${texts.join('')}\u0000absent`))).toBe(-1);
    },
  );

  it('shares nothing between tables: keys added to one are never found in another', () => {
    const first = new DigestTable();
    for (let n = 0; n < 600; n += 1) first.add(digestOfText(`key ${n}`));
    const second = new DigestTable(1_000);
    const third = new DigestTable();
    for (let n = 0; n < 600; n += 1) {
      expect(second.find(digestOfText(`key ${n}`))).toBe(-1);
      expect(third.find(digestOfText(`key ${n}`))).toBe(-1);
    }
    expect(third.add(digestOfText('key 0'))).toBe(0);
    expect(first.find(digestOfText('key 599'))).toBe(599);
    expect([second.count, third.count]).toEqual([0, 1]);
  });

  it('keeps finding every digest across many chunks, small and big, and shard grows', () => {
    const table = new DigestTable();
    // 16 small chunks of 4,096 digests, then two big ones of 65,536 and part of a third.
    const count = 140_000;
    for (let n = 0; n < count; n += 1) table.add(digestOfText(`key ${n}`));

    for (let n = 0; n < count; n += 7) expect(table.find(digestOfText(`key ${n}`))).toBe(n);
    expect(table.find(digestOfText(`key ${count}`))).toBe(-1);
    expect(table.count).toBe(count);
  });

  it('holds more than a small table was sized for, only slower', () => {
    const table = new DigestTable(4);
    for (let n = 0; n < 1_000; n += 1) table.add(digestOfText(`key ${n}`));

    for (let n = 0; n < 1_000; n += 1) expect(table.find(digestOfText(`key ${n}`))).toBe(n);
  });
});
