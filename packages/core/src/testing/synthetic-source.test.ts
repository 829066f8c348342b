import { describe, expect, it } from 'vitest';
import { chainSpec, SyntheticSource, seededRandom } from './synthetic-source.js';

describe('SyntheticSource', () => {
  const source = new SyntheticSource({
    sources: [
      { records: 5, pageSize: 2 },
      { records: 0, pageSize: 3 },
      { records: 4, pageSize: 4 },
    ],
    links: [
      { child: 1, parent: 0, page: 1 },
      { child: 2, parent: 7, page: 9 },
      { child: 2, parent: 0, page: 2 },
    ],
  });

  it('cuts each sub-source into pages of its page size, with at least one page', () => {
    expect([0, 1, 2].map((index) => source.pageCount(index))).toEqual([3, 1, 1]);
    expect(source.pageTotal()).toBe(5);
  });

  it('answers a page with its records, the next page and the sub-sources it starts', () => {
    expect(source.page({ type: 'synthetic', source: 0, page: 1 })).toEqual({
      task: { type: 'synthetic', source: 0, page: 1 },
      data: ['0:2', '0:3'],
      nextTasks: [
        { type: 'synthetic', source: 0, page: 2 },
        { type: 'synthetic', source: 1, page: 0 },
      ],
    });
  });

  it('names a sub-source on several pages when several links start it, taking parents modulo the child', () => {
    // The link from parent 7, page 9 lands on source 7 % 2 = 1, page 9 % 1 = 0.
    expect(source.page({ type: 'synthetic', source: 1, page: 0 }).nextTasks).toEqual([
      { type: 'synthetic', source: 2, page: 0 },
    ]);
    expect(source.page({ type: 'synthetic', source: 0, page: 2 }).nextTasks).toEqual([
      { type: 'synthetic', source: 2, page: 0 },
    ]);
  });

  it('knows every record it holds', () => {
    expect(source.records()).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4', '2:0', '2:1', '2:2', '2:3']);
  });

  it('leaves out the records of a sub-source no link reaches', () => {
    const orphan = new SyntheticSource({
      sources: [
        { records: 1, pageSize: 1 },
        { records: 2, pageSize: 1 },
      ],
      links: [],
    });

    expect(orphan.records()).toEqual(['0:0']);
  });

  it('builds a chain of pages', () => {
    expect(new SyntheticSource(chainSpec(4, 2)).pageTotal()).toBe(4);
  });

  it('refuses a page that does not exist', () => {
    expect(() => source.page({ type: 'synthetic', source: 0, page: 3 })).toThrow(RangeError);
  });
});

describe('seededRandom', () => {
  it('draws the same numbers from the same seed, in [0, 1)', () => {
    const draws = (seed: number) => Array.from({ length: 100 }, seededRandom(seed));

    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).not.toEqual(draws(43));
    expect(draws(42).every((value) => value >= 0 && value < 1)).toBe(true);
  });
});
