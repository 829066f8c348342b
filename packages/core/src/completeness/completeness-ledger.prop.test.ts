import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { CompletenessLedger } from './completeness-ledger.js';

/** The ledger's duplicate rules on plain Sets of strings: what it must agree with. */
class SetLedger {
  readonly #scopes = new Map<string, { pages: Set<string>; records: Set<string> }>();

  check(pageKey: string, scope: string, keys: readonly string[]): string[] {
    const state = this.#scopes.get(scope);
    if (state?.pages.has(pageKey)) return [];
    const seen = new Set<string>();
    let duplicates = 0;
    for (const key of keys) {
      if (seen.has(key) || state?.records.has(key)) duplicates += 1;
      seen.add(key);
    }
    return duplicates === 0
      ? []
      : [`${duplicates} of its ${keys.length} records were already stored by another page (duplicates)`];
  }

  record(pageKey: string, scope: string, keys: readonly string[]): number[] {
    let state = this.#scopes.get(scope);
    if (state === undefined) {
      state = { pages: new Set(), records: new Set() };
      this.#scopes.set(scope, state);
    }
    state.pages.add(pageKey);
    const kept: number[] = [];
    keys.forEach((key, index) => {
      if (state.records.has(key)) return;
      state.records.add(key);
      kept.push(index);
    });
    return kept;
  }

  counts(): { scope: string; storedPages: number; storedRecords: number }[] {
    return [...this.#scopes].map(([scope, state]) => ({
      scope,
      storedPages: state.pages.size,
      storedRecords: state.records.size,
    }));
  }
}

const recordKeyOf = fc.oneof(
  fc.constantFrom(
    'AAPL',
    'BRK.A',
    'VOD.L',
    'Acme Holdings1',
    '\ud800',
    '\udbff',
    '\u0100',
    '\u0000\u0001',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
// A few key arrays, each reused by identity (as `checkCompleteness` passes `check` and `record`
// the same one), and calls in any order: checks not followed by their record, records without a
// check, records of other pages in between.
const scenario = fc.record({
  keyArrays: fc.array(fc.array(recordKeyOf, { maxLength: 12 }), { minLength: 1, maxLength: 5 }),
  calls: fc.array(
    fc.record({
      kind: fc.constantFrom('check', 'record', 'check then record'),
      page: fc.integer({ min: 0, max: 6 }),
      scope: fc.constantFrom('run', 'search-a', 'search-b'),
      keys: fc.nat(),
    }),
    { maxLength: 40 },
  ),
});

describe('CompletenessLedger against a Set-based model', () => {
  // A flat size of 16 moves a scope's keys into a sharded table at its 12th key.
  it.prop([scenario, fc.constantFrom(undefined, 16)])(
    'finds the same duplicates, keeps the same records and counts alike',
    ({ keyArrays, calls }, flatSlots) => {
      const ledger = new CompletenessLedger({ flatSlots });
      const model = new SetLedger();
      for (const call of calls) {
        const keys = keyArrays[call.keys % keyArrays.length] as string[];
        const pageKey = `page-${call.page}`;
        const expect_ = call.scope === 'run' ? undefined : { scope: call.scope };
        if (call.kind !== 'record') {
          expect(ledger.check(pageKey, expect_, keys)).toEqual(model.check(pageKey, call.scope, keys));
        }
        if (call.kind !== 'check') {
          expect(ledger.record(pageKey, expect_, keys)).toEqual(model.record(pageKey, call.scope, keys));
        }
      }

      expect(ledger.report().scopes).toEqual(
        model.counts().map((counts) => ({ ...counts, expectedPages: undefined, expectedRecords: undefined })),
      );
    },
  );
});
