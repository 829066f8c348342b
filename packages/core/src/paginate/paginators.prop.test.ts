import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  type Body,
  checkChain,
  detectable,
  type Lie,
  type Mode,
  origin,
  pagesOf,
  type Row,
  type ServerSpec,
  type ServerTask,
} from '../testing/adversarial-server.js';
import { cursor } from './cursor.js';
import { linkHeader } from './link-header.js';
import { nextUrl } from './next-url.js';
import { offset } from './offset.js';
import { pageNumber } from './page-number.js';
import type { NumberedStopPolicy, Paginator, PaginatorBaseOptions } from './paginator.js';

/**
 * Every paginator against generated adversarial servers (see ../testing/adversarial-server.ts): for N records
 * at page size k, the chain ends within ⌈N/k⌉ + 1 requests with every record exactly once, or
 * fails with a PaginationError naming the refused page and the reason. Lies no paginator can see
 * (a source that says "the end" everywhere and gives no total) are left out by `detectable`.
 */

/** The lies a server of `pages` pages can tell, at requests where they matter. */
function lies(pages: number, urlMode: boolean, cursorMode: boolean): fc.Arbitrary<Lie> {
  const backFrom = (kind: 'cycle' | 'revisit') =>
    fc
      .nat({ max: Math.max(0, pages - 1) })
      .chain((at) => fc.nat({ max: at }).map((back): Lie => ({ kind, at, back })));
  const options: fc.Arbitrary<Lie>[] = [
    fc.constant({ kind: 'honest' }),
    fc.constant({ kind: 'has-more-forever' }),
    backFrom('cycle'),
  ];
  if (cursorMode) options.push(backFrom('revisit'));
  if (pages >= 1) options.push(fc.constant({ kind: 'full-last-page' }));
  if (pages >= 2) {
    const early = fc.nat({ max: pages - 2 });
    options.push(early.map((at): Lie => ({ kind: 'stop-early', at })));
    options.push(early.map((at): Lie => ({ kind: 'empty-page', at })));
    options.push(fc.integer({ min: 1, max: pages - 1 }).map((at): Lie => ({ kind: 'duplicate', at })));
  }
  if (urlMode && pages >= 2)
    options.push(fc.nat({ max: pages - 2 }).map((at): Lie => ({ kind: 'foreign', at })));
  return fc.oneof(...options);
}

/** A source of up to 40 records in pages of 1 to 7, with one lie. */
function specs(urlMode: boolean, cursorMode: boolean): fc.Arbitrary<ServerSpec> {
  return fc
    .record({
      records: fc.nat({ max: 40 }),
      pageSize: fc.integer({ min: 1, max: 7 }),
      totals: fc.constantFrom('every-page' as const, 'first-page' as const, 'none' as const),
    })
    .chain((base) => {
      const pages = pagesOf({ ...base, lie: { kind: 'honest' } });
      return lies(pages, urlMode, cursorMode).map((lie) => {
        // A full last page needs a record count that fills it.
        const records = lie.kind === 'full-last-page' ? Math.max(1, pages) * base.pageSize : base.records;
        return { ...base, records, lie };
      });
    });
}

/** The accessors every configuration uses as cross-checks; a record key in half the runs. */
function crossChecks(withRecordKey: boolean): PaginatorBaseOptions<Body, Row> {
  return {
    totalRecords: (body) => body.total_results,
    totalPages: (body) => body.total_pages,
    hasMore: (body) => body.has_more,
    ...(withRecordKey ? { recordKey: (row: Row) => row.id } : {}),
  };
}

/** A run: a source that can tell its lie, how the paginator is configured. */
function runs<P extends string>(
  policies: readonly P[],
  options: {
    readonly urlMode?: boolean;
    readonly cursorMode?: boolean;
    readonly needsTotals?: readonly P[];
  } = {},
) {
  const { urlMode = false, cursorMode = true, needsTotals = [] } = options;
  return fc
    .record({
      spec: specs(urlMode, cursorMode),
      withRecordKey: fc.boolean(),
      stop: fc.constantFrom(...policies),
    })
    .filter(
      ({ spec, withRecordKey, stop }) =>
        detectable(spec, withRecordKey) && !(spec.totals === 'none' && needsTotals.includes(stop)),
    );
}

/** Asserts the property and, for a cycle, that Brent's algorithm found it within its bound. */
function holds(spec: ServerSpec, mode: Mode, paginator: Paginator<ServerTask, Body, Row>): void {
  const result = checkChain(spec, mode, paginator);
  if (result.outcome === 'refused' && spec.lie.kind === 'cycle' && result.error.code === 'cycle') {
    // The lie strikes at request `at`; the first repeated position is at most page at + 2, so
    // Brent's detector must have refused by page 3 · (at + 2).
    expect(result.requests).toBeLessThanOrEqual(3 * (spec.lie.at + 2));
  }
  if (result.outcome === 'refused' && spec.lie.kind === 'foreign')
    expect(result.error.code).toBe('foreign-next-url');
}

const numbered: readonly NumberedStopPolicy[] = [
  'total-pages',
  'total-records',
  'has-more',
  'empty-page',
  'short-page',
];
const totalsPolicies: readonly NumberedStopPolicy[] = ['total-pages', 'total-records'];

describe('pageNumber against adversarial servers', () => {
  it.prop([runs(numbered, { cursorMode: false, needsTotals: totalsPolicies })], { numRuns: 300 })(
    'ends within ⌈N/k⌉ + 1 requests with every record once, or fails with a PaginationError',
    ({ spec, withRecordKey, stop }) => {
      holds(
        spec,
        'page-number',
        pageNumber({ stop, pageSize: spec.pageSize, ...crossChecks(withRecordKey) }),
      );
    },
  );
});

describe('pageNumber with fanOut against adversarial servers', () => {
  // A fanned page cannot see its siblings: a server that serves one page under two numbers (a
  // cycle, a shifted record) is caught in a chain, not in a fan-out. Every other lie is.
  const fanOutRuns = runs(totalsPolicies, { cursorMode: false, needsTotals: totalsPolicies }).filter(
    ({ spec }) => spec.lie.kind !== 'cycle' && spec.lie.kind !== 'duplicate',
  );
  it.prop([fanOutRuns], { numRuns: 300 })(
    'ends within ⌈N/k⌉ + 1 requests with every record once, or fails with a PaginationError',
    ({ spec, withRecordKey, stop }) => {
      holds(
        spec,
        'page-number',
        pageNumber({ stop, pageSize: spec.pageSize, fanOut: true, ...crossChecks(withRecordKey) }),
      );
    },
  );
});

describe('offset against adversarial servers', () => {
  it.prop([runs(numbered, { cursorMode: false, needsTotals: totalsPolicies })], { numRuns: 300 })(
    'ends within ⌈N/k⌉ + 1 requests with every record once, or fails with a PaginationError',
    ({ spec, withRecordKey, stop }) => {
      holds(spec, 'offset', offset({ stop, pageSize: spec.pageSize, ...crossChecks(withRecordKey) }));
    },
  );
});

describe('cursor against adversarial servers', () => {
  it.prop([runs(['has-more', 'no-cursor'] as const)], { numRuns: 300 })(
    'with an opaque cursor in the body: ends within ⌈N/k⌉ + 1 requests with every record once, or fails',
    ({ spec, withRecordKey, stop }) => {
      holds(
        spec,
        'cursor',
        cursor({ stop, from: (body) => body.next_cursor, ...crossChecks(withRecordKey) }),
      );
    },
  );

  it.prop([runs(['has-more', 'no-cursor'] as const)], { numRuns: 300 })(
    "Stripe's way, starting_after the last id: ends within ⌈N/k⌉ + 1 requests with every record once, or fails",
    ({ spec, withRecordKey, stop }) => {
      const paginator = cursor<ServerTask, Body, Row>({
        stop,
        param: 'starting_after',
        from: (body) => body.data.at(-1)?.id,
        ...crossChecks(withRecordKey),
      });
      holds(spec, 'stripe', paginator);
    },
  );
});

describe('linkHeader against adversarial servers', () => {
  it.prop([runs(['no-next', 'empty-page'] as const, { urlMode: true })], { numRuns: 300 })(
    'ends within ⌈N/k⌉ + 1 requests with every record once, or fails with a PaginationError',
    ({ spec, withRecordKey, stop }) => {
      holds(spec, 'link-header', linkHeader({ stop, baseUrl: origin, ...crossChecks(withRecordKey) }));
    },
  );
});

describe('nextUrl against adversarial servers', () => {
  it.prop([runs(['no-next', 'empty-page'] as const, { urlMode: true })], { numRuns: 300 })(
    'ends within ⌈N/k⌉ + 1 requests with every record once, or fails with a PaginationError',
    ({ spec, withRecordKey, stop }) => {
      holds(
        spec,
        'next-url',
        nextUrl({ stop, baseUrl: origin, from: (body) => body.next, ...crossChecks(withRecordKey) }),
      );
    },
  );
});
