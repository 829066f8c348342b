import { isPaginationError, type PaginationError } from '../paginate/pagination-error.js';
import type { Page, Paginator } from '../paginate/paginator.js';
import { drivePaginator } from './drive-paginator.js';

/**
 * An in-memory paged API for the paginators' property tests, with the lies that make
 * pagination loop or stop early in the wild. Not exported from the package.
 *
 * The source holds `records` records `{ id: 'r0' }…`, served `pageSize` at a time from a start
 * index that each mode reads from its task: a page number, an offset, an opaque cursor `c<start>`,
 * Stripe's `starting_after=<last id>`, or a URL `…/items?start=<start>` (in a `Link` header or
 * the body). `request` counts the chain's requests from 0; each lie strikes at one of them.
 */

export type Mode = 'page-number' | 'offset' | 'cursor' | 'stripe' | 'link-header' | 'next-url';

export type Lie =
  | { readonly kind: 'honest' }
  /** The last page is full and says `has_more: true` with a next cursor; the page after is empty. */
  | { readonly kind: 'full-last-page' }
  /**
   * Page `at` leads back `back` pages (0: to itself), every time it is served: the chain cycles
   * for ever. For page numbers and offsets, whose next page the client computes, every request
   * after `at` serves the pages `at - back … at` again, round and round.
   */
  | { readonly kind: 'cycle'; readonly at: number; readonly back: number }
  /** Request `at` leads back `back` pages once; from there the chain runs on to the end (cursor and URL modes). */
  | { readonly kind: 'revisit'; readonly at: number; readonly back: number }
  /** Request `at` (not the last page) says no more follow and gives no next cursor. */
  | { readonly kind: 'stop-early'; readonly at: number }
  /** Request `at` (not the last page) comes back empty, its other fields as usual. */
  | { readonly kind: 'empty-page'; readonly at: number }
  /** From request `at` (≥ 1), pages start one record early: a record of the previous page again. */
  | { readonly kind: 'duplicate'; readonly at: number }
  /** After the data, empty pages that say more follow, each with a new cursor, forever. */
  | { readonly kind: 'has-more-forever' }
  /** Request `at` links to another origin (URL modes only). */
  | { readonly kind: 'foreign'; readonly at: number };

export type ServerSpec = {
  readonly records: number;
  readonly pageSize: number;
  /** Where the totals appear: on every page, on the first only, or never. */
  readonly totals: 'every-page' | 'first-page' | 'none';
  readonly lie: Lie;
};

export type Row = { readonly id: string };

export type Body = {
  readonly data: Row[];
  readonly has_more: boolean;
  readonly total_results?: number;
  readonly total_pages?: number;
  readonly next_cursor?: string | null;
  readonly next?: string | null;
};

export type ServerTask = {
  readonly type: 'adversarial';
  readonly page?: number;
  readonly offset?: number;
  readonly cursor?: string;
  readonly starting_after?: string;
  readonly url?: string;
};

export const origin = 'https://api.test';

/** The number of pages the honest source has: ⌈records / pageSize⌉. */
export function pagesOf(spec: ServerSpec): number {
  return Math.ceil(spec.records / spec.pageSize);
}

/** Answers one request of a chain. */
export function serve(spec: ServerSpec, mode: Mode, task: ServerTask, request: number): Page<Body, Row> {
  const { pageSize: k, lie } = spec;
  const n = spec.records;
  if (task.url !== undefined && new URL(task.url).origin !== origin) {
    throw new Error(`the credentials went to ${new URL(task.url).origin}`);
  }
  let start = startOf(mode, task, k);
  const numbered = mode === 'page-number' || mode === 'offset';
  if (numbered && lie.kind === 'cycle' && request > lie.at) {
    start = (lie.at - lie.back + ((request - lie.at - 1) % (lie.back + 1))) * k;
  }
  // Stripe's cursor is the last record's id, so a Stripe server cycles by serving an earlier page.
  if (mode === 'stripe' && backAt(lie, start, k, request)) start = Math.max(0, start - (lie.back + 1) * k);
  if (lie.kind === 'duplicate' && (numbered ? request >= lie.at : request === lie.at)) start -= 1;
  let data: Row[] = [];
  for (let index = Math.max(0, start); index < Math.min(n, start + k); index += 1)
    data.push({ id: `r${index}` });
  let nextStart: number | undefined = start + data.length < n ? start + data.length : undefined;
  let hasMore = nextStart !== undefined;
  const last = start < n && start + k >= n;
  if (lie.kind === 'full-last-page' && last) {
    hasMore = true;
    nextStart = start + data.length;
  }
  if (lie.kind === 'has-more-forever' && start + data.length >= n) {
    hasMore = true;
    nextStart = Math.max(start, n) + 1;
  }
  if (!numbered && mode !== 'stripe' && backAt(lie, start, k, request)) {
    nextStart = Math.max(0, start - lie.back * k);
    hasMore = true;
  }
  if (lie.kind === 'stop-early' && request === lie.at) {
    hasMore = false;
    nextStart = undefined;
  }
  if (lie.kind === 'empty-page' && request === lie.at) {
    data = [];
    if (nextStart !== undefined) nextStart = start;
  }
  const body: Body = {
    data,
    has_more: hasMore,
    ...(spec.totals === 'every-page' || (spec.totals === 'first-page' && request === 0)
      ? { total_results: n, total_pages: Math.ceil(n / k) }
      : {}),
    next_cursor: nextStart === undefined ? null : `c${nextStart}`,
    next: nextStart === undefined ? null : urlOf(nextStart, lie.kind === 'foreign' && request === lie.at),
  };
  const url = mode === 'link-header' || mode === 'next-url' ? (task.url ?? urlOf(0, false)) : undefined;
  const headers: Record<string, string> =
    mode === 'link-header' && body.next !== null && body.next !== undefined
      ? {
          // Relative where it can be, with a `last` link and quoted params around it, as GitHub does.
          Link: `</items?start=0>; rel="first"; title="a, b; c", <${relative(body.next)}>; rel="next"; foo=bar, </items?start=${n}>; rel=last`,
        }
      : {};
  return { records: data, body, headers, ...(url === undefined ? {} : { url }) };
}

/** Whether this page leads back: a cycle at page `at`'s start, or a revisit at request `at`. */
function backAt(lie: Lie, start: number, k: number, request: number): lie is Lie & { readonly back: number } {
  return (lie.kind === 'cycle' && start === lie.at * k) || (lie.kind === 'revisit' && request === lie.at);
}

function startOf(mode: Mode, task: ServerTask, k: number): number {
  switch (mode) {
    case 'page-number':
      return ((task.page ?? 1) - 1) * k;
    case 'offset':
      return task.offset ?? 0;
    case 'cursor':
      return task.cursor === undefined ? 0 : Number(task.cursor.slice(1));
    case 'stripe':
      return task.starting_after === undefined ? 0 : Number(task.starting_after.slice(1)) + 1;
    case 'link-header':
    case 'next-url':
      return task.url === undefined ? 0 : Number(new URL(task.url).searchParams.get('start'));
  }
}

function urlOf(start: number, foreign: boolean): string {
  return `${foreign ? 'https://evil.test' : origin}/items?start=${start}`;
}

function relative(url: string): string {
  return url.startsWith(origin) ? url.slice(origin.length) : url;
}

/**
 * Whether a paginator can tell the lie at all. A source that says "the end" everywhere it can
 * (no `has_more`, no cursor) and gives no total looks exactly like a source that ended; a record
 * shifted into the next page, with no record key and no total, looks like a new record; a chain
 * that jumps back once and then runs on to its end repeats cursors, but to see that without a
 * total would take every cursor of the chain in memory (Brent's algorithm, in constant memory,
 * finds cycles: chains where the same cursor leads to the same page again).
 */
export function detectable(spec: ServerSpec, withRecordKey: boolean): boolean {
  if (spec.lie.kind === 'stop-early' || spec.lie.kind === 'revisit') return spec.totals !== 'none';
  if (spec.lie.kind === 'duplicate') return withRecordKey || spec.totals !== 'none';
  return true;
}

/** Lies that change nothing a careful paginator relies on: it must end with every record. */
export function harmless(spec: ServerSpec): boolean {
  return spec.lie.kind === 'honest' || spec.lie.kind === 'full-last-page';
}

/**
 * The property: the chain ends within ⌈N/k⌉ + 1 requests with every record exactly once, in
 * order, or fails with a PaginationError that names the page it refused (the last requested)
 * and a reason; a harmless server is always read to the end.
 */
export function checkChain(
  spec: ServerSpec,
  mode: Mode,
  paginator: Paginator<ServerTask, Body, Row>,
  seed: ServerTask = { type: 'adversarial' },
):
  | { readonly outcome: 'complete' }
  | { readonly outcome: 'refused'; readonly error: PaginationError; readonly requests: number } {
  let requests = 0;
  let run: ReturnType<typeof drivePaginator<ServerTask, Body, Row>>;
  try {
    run = drivePaginator(
      paginator,
      seed,
      (task, request) => {
        requests += 1;
        return serve(spec, mode, task, request);
      },
      { maxRequests: 10_000 },
    );
  } catch (error) {
    if (!isPaginationError(error)) throw error;
    if (harmless(spec)) throw new Error(`a harmless server was refused: ${error.message}`);
    if (error.page !== requests)
      throw new Error(`the error names page ${error.page}, the refused page is ${requests}`);
    if (error.reason.length === 0) throw new Error('the error gives no reason');
    return { outcome: 'refused', error, requests };
  }
  const ids = run.records.map((record) => record.id);
  const expected = Array.from({ length: spec.records }, (_, index) => `r${index}`);
  if (JSON.stringify(ids) !== JSON.stringify(expected)) {
    throw new Error(`completed with ${ids.length} records ${ids.join(',')}, expected ${spec.records}`);
  }
  const bound = Math.ceil(spec.records / spec.pageSize) + 1;
  if (run.requests > bound) throw new Error(`completed in ${run.requests} requests, more than ${bound}`);
  return { outcome: 'complete' };
}
