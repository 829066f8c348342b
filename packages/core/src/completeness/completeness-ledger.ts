import { digestOfKey } from '../digest/digest-of.js';
import { DigestSet } from '../digest/digest-set.js';
import { defaultScope, type Expectation } from './expectation.js';

/** One result's figures: what its pages said, and what the run stored. */
export type ScopeReport = {
  readonly scope: string;
  readonly expectedRecords: number | undefined;
  readonly expectedPages: number | undefined;
  readonly storedRecords: number;
  readonly storedPages: number;
};

/** What a run holds against what its pages said it must hold. */
export type CompletenessReport = {
  /** No fault: every figure met, no duplicate, no page tolerated with a fault. */
  readonly complete: boolean;
  /** Each problem, in words: missing records or pages, duplicates, faults tolerated. */
  readonly faults: readonly string[];
  readonly scopes: readonly ScopeReport[];
  /**
   * Pages a checkpoint knew from an earlier run: not fetched, so their records were not counted
   * here and the figures cannot be checked (they are reported, not failed).
   */
  readonly skippedPages: number;
};

type ScopeState = {
  expected: Expectation | undefined;
  readonly pages: DigestSet;
  readonly records: DigestSet;
};

/**
 * Keeps count, for one run, of the pages and record keys stored per scope (see
 * {@link Expectation}), and tells what a new page would break. In memory, compactly: each page
 * and record key as a 128-bit keyed digest ({@link digestOfKey}) in a {@link DigestSet}, whatever
 * the key's length: 23–46 bytes a key in one flat array up to 91,750 keys a scope (2 MB at most;
 * one cache line a lookup, which is what a page's check costs in a run whose caches are cold),
 * then 24–32 in a sharded table, against 75 for a 14-character string in a Set. Two keys
 * sharing 128 bits is a 2⁻⁶⁴ chance at four billion keys, and without the process's secret key a
 * hostile API cannot make them collide.
 */
export class CompletenessLedger {
  readonly #scopes = new Map<string, ScopeState>();
  readonly #faults: string[] = [];
  #skipped = 0;
  // What `check` found of the keys it was last given, for the `record` that follows it with the
  // same array, which uses it up: their digests (each key hashed once a page), and which of them
  // are new (looked up once), while the table they were looked up in has not grown since.
  #lastKeys: readonly string[] | undefined;
  #lastDigests = new Uint32Array(0);
  #newKeys: readonly string[] | undefined;
  #newIn: DigestSet | undefined;
  #newCount = 0;
  /** 1 for each key neither stored nor given earlier in its page, else 0. */
  #isNew = new Uint8Array(0);
  // The last page key's digest: `check` and `record` both want it.
  #pageKey: string | undefined;
  readonly #pageDigest = new Uint32Array(4);
  readonly #flatSlots: number | undefined;

  /**
   * @param options.flatSlots the size past which a scope's key set moves from one flat array to a
   *   sharded table (see {@link DigestSet}): small only in tests, to reach the move with few keys.
   */
  constructor(options: { readonly flatSlots?: number | undefined } = {}) {
    this.#flatSlots = options.flatSlots;
  }

  /**
   * What is wrong with a page against the pages stored so far: figures other than those its
   * scope's pages stated, or records already stored by another page (or twice in itself).
   */
  check(pageKey: string, expect: Expectation | undefined, recordKeys: readonly string[]): string[] {
    const state = this.#scopes.get(expect?.scope ?? defaultScope);
    const problems: string[] = [];
    const known = state?.expected;
    if (expect !== undefined && known !== undefined) {
      for (const field of ['records', 'pages'] as const) {
        if (expect[field] !== undefined && known[field] !== undefined && expect[field] !== known[field]) {
          problems.push(
            `it says the result holds ${expect[field]} ${field}, an earlier page said ${known[field]}`,
          );
        }
      }
    }
    if (state?.pages.has(this.#digestOfPage(pageKey))) return problems;
    if (this.#isNew.length < recordKeys.length) this.#isNew = new Uint8Array(recordKeys.length);
    const stored = state?.records;
    const duplicates = countDuplicates(recordKeys, this.#digestsOf(recordKeys), stored, this.#isNew);
    this.#newKeys = recordKeys;
    this.#newIn = stored;
    this.#newCount = stored?.count ?? 0;
    if (duplicates > 0) {
      problems.push(
        `${duplicates} of its ${recordKeys.length} records were already stored by another page (duplicates)`,
      );
    }
    return problems;
  }

  /**
   * Records a page as stored, and returns the indexes of its records to keep: all but those whose
   * key was stored already (a duplicate, kept out of the sink when tolerated).
   */
  record(pageKey: string, expect: Expectation | undefined, recordKeys: readonly string[]): number[] {
    const scope = expect?.scope ?? defaultScope;
    let state = this.#scopes.get(scope);
    if (state === undefined) {
      // Sized for the figures the page states (up to a bound), not doubled up to them.
      const flatSlots = this.#flatSlots;
      state = {
        expected: undefined,
        pages: new DigestSet({ flatSlots, expected: expect?.pages }),
        records: new DigestSet({ flatSlots, expected: expect?.records }),
      };
      this.#scopes.set(scope, state);
    }
    if (expect !== undefined && (expect.records !== undefined || expect.pages !== undefined)) {
      state.expected ??= expect;
    }
    const page = this.#digestOfPage(pageKey);
    if (!state.pages.has(page)) state.pages.add(page);
    const records = state.records;
    // What `check` looked up still holds while the table has not grown (a scope it found no
    // table for has an empty one).
    const isNew =
      this.#newKeys === recordKeys &&
      this.#newCount === records.count &&
      (this.#newIn === records || this.#newIn === undefined)
        ? this.#isNew
        : undefined;
    const digests = this.#digestsOf(recordKeys);
    this.#lastKeys = undefined;
    this.#newKeys = undefined;
    const kept: number[] = [];
    for (let index = 0; index < recordKeys.length; index += 1) {
      if (isNew === undefined ? records.has(digests, index * 4) : isNew[index] === 0) continue;
      records.add(digests, index * 4);
      kept.push(index);
    }
    return kept;
  }

  /** Notes a fault the run tolerated (`allowIncomplete`), to report at the end. */
  tolerate(fault: string): void {
    this.#faults.push(fault);
  }

  /** Notes a page a checkpoint knew, which the run did not fetch. */
  skipped(): void {
    this.#skipped += 1;
  }

  #digestsOf(keys: readonly string[]): Uint32Array {
    if (keys === this.#lastKeys) return this.#lastDigests;
    // One buffer for every page, grown when a page is longer: a typed array this size lives
    // outside the heap, and one made per page cost more to allocate and free than to fill.
    if (this.#lastDigests.length < keys.length * 4) this.#lastDigests = new Uint32Array(keys.length * 4);
    const digests = this.#lastDigests;
    for (let index = 0; index < keys.length; index += 1) {
      const digest = digestOfKey(keys[index] as string);
      const at = index * 4;
      digests[at] = digest[0] as number;
      digests[at + 1] = digest[1] as number;
      digests[at + 2] = digest[2] as number;
      digests[at + 3] = digest[3] as number;
    }
    this.#lastKeys = keys;
    return digests;
  }

  #digestOfPage(pageKey: string): Uint32Array {
    if (pageKey !== this.#pageKey) {
      this.#pageDigest.set(digestOfKey(pageKey));
      this.#pageKey = pageKey;
    }
    return this.#pageDigest;
  }

  /** The run against every stated figure. */
  report(): CompletenessReport {
    const faults = [...this.#faults];
    const scopes: ScopeReport[] = [];
    for (const [scope, state] of this.#scopes) {
      const report: ScopeReport = {
        scope,
        expectedRecords: state.expected?.records,
        expectedPages: state.expected?.pages,
        storedRecords: state.records.count,
        storedPages: state.pages.count,
      };
      scopes.push(report);
      if (this.#skipped > 0) continue;
      const name = scope === defaultScope ? 'the run' : `result ${scope.slice(0, 12)}`;
      if (report.expectedRecords !== undefined && report.storedRecords !== report.expectedRecords) {
        faults.push(
          `${name}: ${report.storedRecords} of ${report.expectedRecords} records stored (${describeGap(report.expectedRecords - report.storedRecords)})`,
        );
      }
      if (report.expectedPages !== undefined && report.storedPages !== report.expectedPages) {
        faults.push(
          `${name}: ${report.storedPages} of ${report.expectedPages} pages stored (${describeGap(report.expectedPages - report.storedPages)})`,
        );
      }
    }
    return { complete: faults.length === 0, faults, scopes, skippedPages: this.#skipped };
  }
}

/** Records of a page already stored, or given twice in it; `isNew` says which are neither. */
function countDuplicates(
  keys: readonly string[],
  digests: Uint32Array,
  stored: DigestSet | undefined,
  isNew: Uint8Array,
): number {
  // Within the page, twins are told apart by their digests (equal keys, equal digests) in a small
  // table reused from page to page: a Set of the page's keys cost more, for a page of 50.
  const size = tableSizeFor(keys.length);
  if (inPage.length < size) inPage = new Int32Array(size);
  inPage.fill(0, 0, size);
  const mask = size - 1;
  let duplicates = 0;
  for (let index = 0; index < keys.length; index += 1) {
    const at = index * 4;
    let twin = false;
    let slot = (digests[at] as number) & mask;
    for (let entry = inPage[slot] as number; entry !== 0; entry = inPage[slot] as number) {
      const other = (entry - 1) * 4;
      if (
        digests[other] === digests[at] &&
        digests[other + 1] === digests[at + 1] &&
        digests[other + 2] === digests[at + 2] &&
        digests[other + 3] === digests[at + 3]
      ) {
        twin = true;
        break;
      }
      slot = (slot + 1) & mask;
    }
    let fresh = 0;
    if (twin) duplicates += 1;
    else {
      inPage[slot] = index + 1;
      if (stored?.has(digests, at)) duplicates += 1;
      else fresh = 1;
    }
    isNew[index] = fresh;
  }
  return duplicates;
}

/** The index of a page's digests for `countDuplicates`, numbers + 1 (0 is empty), grown as needed. */
let inPage = new Int32Array(256);

/** A power of two at least twice `count`, so that the table is at most half full. */
function tableSizeFor(count: number): number {
  let size = 16;
  while (size < count * 2) size *= 2;
  return size;
}

function describeGap(missing: number): string {
  return missing > 0 ? `${missing} missing` : `${-missing} more than stated`;
}
