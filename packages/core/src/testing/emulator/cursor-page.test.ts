import { describe, expect, it } from 'vitest';
import { cursorPage } from './cursor-page.js';

const ids = ['e', 'd', 'c', 'b', 'a'];
const idOf = (id: string) => id;

describe('cursorPage', () => {
  it('gives the first page without a cursor', () => {
    expect(cursorPage(ids, { limit: 2, idOf })).toEqual({ ok: true, data: ['e', 'd'], hasMore: true });
    expect(cursorPage(ids, { limit: 5, idOf })).toEqual({ ok: true, data: ids, hasMore: false });
  });

  it('pages forward with startingAfter until hasMore is false, each item once', () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = cursorPage(ids, { limit: 2, startingAfter: after, idOf });
      if (!page.ok) throw new Error('unexpected cursor refusal');
      seen.push(...page.data);
      after = page.data.at(-1);
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(ids);
  });

  it('says hasMore false on a page that ends the list exactly', () => {
    expect(cursorPage(ids, { limit: 2, startingAfter: 'c', idOf })).toEqual({
      ok: true,
      data: ['b', 'a'],
      hasMore: false,
    });
  });

  it('pages backward with endingBefore', () => {
    expect(cursorPage(ids, { limit: 2, endingBefore: 'b', idOf })).toEqual({
      ok: true,
      data: ['d', 'c'],
      hasMore: true,
    });
    expect(cursorPage(ids, { limit: 2, endingBefore: 'c', idOf })).toEqual({
      ok: true,
      data: ['e', 'd'],
      hasMore: false,
    });
  });

  it('refuses a cursor that names no item, and a limit below 1', () => {
    expect(cursorPage(ids, { limit: 2, startingAfter: 'zz', idOf })).toEqual({
      ok: false,
      reason: 'unknown-cursor',
    });
    expect(() => cursorPage(ids, { limit: 0, idOf })).toThrow(RangeError);
  });
});
