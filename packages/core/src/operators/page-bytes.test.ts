import { describe, expect, it } from 'vitest';
import { estimatePageBytes } from './page-bytes.js';

describe('estimatePageBytes', () => {
  it('counts a string by its length and a header, other values and fields by a word', () => {
    // The record: 16, its two fields 2 × 8, the number 8, the string 16 + 1000; its slot 8.
    expect(estimatePageBytes([{ id: 1, name: 'x'.repeat(1000) }])).toBe(1064);
    expect(estimatePageBytes([[1, null, true]])).toBe(16 + 3 * 16 + 8);
    expect(estimatePageBytes([])).toBe(0);
  });

  it('takes a few records, evenly spaced, for all of them', () => {
    const small = { text: 'x'.repeat(100) };
    const large = { text: 'x'.repeat(100_000) };
    // Records 0, 250, 500 and 750 of 1000 are walked: two small, two large.
    const data = Array.from({ length: 1000 }, (_, index) => (index % 500 === 250 ? large : small));

    const bytes = estimatePageBytes(data);

    const mean = (16 + 8 + 16 + 100 + 16 + 8 + 16 + 100_000) / 2;
    expect(bytes).toBe(Math.round(mean * 1000) + 8 * 1000);
  });

  it('takes a page small by its first record at that record', () => {
    const data = Array.from({ length: 10 }, (_, index) => ({ text: 'x'.repeat(index === 5 ? 10_000 : 10) }));

    expect(estimatePageBytes(data)).toBe((16 + 8 + 16 + 10 + 8) * 10);
  });

  it('ends on a cycle and bounds the walk of a huge record', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const huge = Array.from({ length: 100_000 }, (_, index) => index);

    expect(estimatePageBytes([cyclic])).toBeGreaterThan(0);
    expect(estimatePageBytes([huge])).toBeLessThan(100_000);
  });

  it('counts binary data by its bytes, without walking its indices', () => {
    expect(estimatePageBytes([{ blob: Buffer.alloc(1_000_000) }])).toBe(16 + 8 + 16 + 1_000_000 + 8);
    expect(estimatePageBytes([{ blob: new ArrayBuffer(100) }])).toBe(16 + 8 + 16 + 100 + 8);
  });
});
