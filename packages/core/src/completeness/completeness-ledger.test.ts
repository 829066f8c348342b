import { describe, expect, it } from 'vitest';
import { CompletenessLedger } from './completeness-ledger.js';

const keysOf = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, index) => `record-${from + index}`);

describe('CompletenessLedger', () => {
  it('counts every record of many pages once, and finds a duplicate stored long before', () => {
    const ledger = new CompletenessLedger();
    for (let page = 0; page < 100; page += 1) {
      const keys = keysOf(page * 1_000, page * 1_000 + 1_000);
      expect(ledger.check(`page-${page}`, { records: 100_000 }, keys)).toEqual([]);
      expect(ledger.record(`page-${page}`, { records: 100_000 }, keys)).toHaveLength(1_000);
    }

    const again = ['record-7', 'record-new', 'record-99999'];
    expect(ledger.check('page-late', undefined, again)).toEqual([
      '2 of its 3 records were already stored by another page (duplicates)',
    ]);
    expect(ledger.record('page-late', undefined, again)).toEqual([1]);
    expect(ledger.report().scopes[0]).toMatchObject({ storedRecords: 100_001, storedPages: 101 });
    expect(ledger.report().faults).toEqual(['the run: 100001 of 100000 records stored (1 more than stated)']);
  });

  it('counts a record given twice in one page as a duplicate, and keeps its first', () => {
    const ledger = new CompletenessLedger();
    const keys = ['a', 'b', 'a'];

    expect(ledger.check('page', undefined, keys)).toEqual([
      '1 of its 3 records were already stored by another page (duplicates)',
    ]);
    expect(ledger.record('page', undefined, keys)).toEqual([0, 1]);
  });

  it('takes a page it has recorded again without counting it twice', () => {
    const ledger = new CompletenessLedger();
    ledger.record('page', { pages: 1 }, ['a']);

    expect(ledger.check('page', { pages: 1 }, ['a'])).toEqual([]);
    ledger.record('page', { pages: 1 }, ['a']);
    expect(ledger.report()).toMatchObject({ complete: true, scopes: [{ storedPages: 1, storedRecords: 1 }] });
  });

  it("looks a page's keys up again when it is recorded in another scope than it was checked in", () => {
    const ledger = new CompletenessLedger();
    ledger.record('a1', { scope: 'a' }, ['k']);
    ledger.record('b1', { scope: 'b' }, ['j']);
    const keys = ['k', 'j'];

    expect(ledger.check('p', { scope: 'a' }, keys)).toEqual([
      '1 of its 2 records were already stored by another page (duplicates)',
    ]);
    expect(ledger.record('p', { scope: 'b' }, keys)).toEqual([0]);
  });

  it('looks them up again when another page was recorded between its check and its record', () => {
    const ledger = new CompletenessLedger();
    const keys = ['k', 'j'];

    expect(ledger.check('p', undefined, keys)).toEqual([]);
    ledger.record('q', undefined, ['j']);
    expect(ledger.record('p', undefined, keys)).toEqual([0]);
  });
});
