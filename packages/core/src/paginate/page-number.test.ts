import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { pageNumber } from './page-number.js';
import { PaginationError } from './pagination-error.js';
import type { Page, PaginationState } from './paginator.js';

type SearchTask = {
  type: 'wtd.stock_search';
  search_term: string;
  page?: number;
  pagination?: PaginationState;
};
type Body = { data: { id: string }[]; total_pages?: number; total_results?: number; has_more?: boolean };

const seed: SearchTask = { type: 'wtd.stock_search', search_term: 'new york' };
const rows = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({ id: `r${from + index}` }));
const page = (body: Body): Page<Body, { id: string }> => ({ records: body.data, body });

/** Runs a chain to its end; `serve` answers page numbers. */
function run(
  paginator: ReturnType<typeof pageNumber<SearchTask, Body, { id: string }>>,
  serve: (number: number) => Body,
) {
  const pages: number[] = [];
  let task: SearchTask | undefined = seed;
  while (task !== undefined) {
    const number = task.page ?? 1;
    pages.push(number);
    [task] = paginator.next(task, page(serve(number)));
  }
  return pages;
}

/** World Trading Data's shape: 3 pages of 2, totals on every page. */
const wtd = (number: number): Body => ({
  data: number <= 2 ? rows((number - 1) * 2, 2) : number === 3 ? rows(4, 1) : [],
  total_pages: 3,
  total_results: 5,
});

const expectFailure = (action: () => unknown, code: string, pageOfChain: number) => {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(PaginationError);
    expect((error as PaginationError).code).toBe(code);
    expect((error as PaginationError).page).toBe(pageOfChain);
    return error as PaginationError;
  }
  throw new Error(`expected a PaginationError ${code}`);
};

describe('pageNumber', () => {
  it("stops after the last of the total pages under 'total-pages'", () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
    });
    expect(run(paginator, wtd)).toEqual([1, 2, 3]);
  });

  it("stops once the chain holds the total records under 'total-records'", () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-records',
      totalRecords: (body) => body.total_results,
    });
    expect(run(paginator, wtd)).toEqual([1, 2, 3]);
  });

  it("stops at the first page that says no more follow under 'has-more'", () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'has-more',
      hasMore: (body) => body.has_more,
    });
    expect(run(paginator, (number) => ({ data: rows(number, 1), has_more: number < 4 }))).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it("stops at the first empty page under 'empty-page', one request after the data", () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({ stop: 'empty-page' });
    expect(run(paginator, (number) => ({ data: number <= 2 ? rows(number * 2, 2) : [] }))).toEqual([1, 2, 3]);
  });

  it("stops at the first short page under 'short-page'", () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({ stop: 'short-page', pageSize: 2 });
    expect(run(paginator, wtd)).toEqual([1, 2, 3]);
  });

  it('follows a page that says more follow even when its policy would stop (a capped page size)', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'short-page',
      pageSize: 10,
      hasMore: (body) => body.has_more,
    });
    expect(run(paginator, (number) => ({ data: rows(number, 1), has_more: number < 3 }))).toEqual([1, 2, 3]);
  });

  it('remembers totals given only on page 1', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
    });
    const onlyFirst = (number: number): Body => {
      const { total_pages, total_results, ...rest } = wtd(number);
      return number === 1 ? { ...rest, total_pages: total_pages as number } : rest;
    };
    expect(run(paginator, onlyFirst)).toEqual([1, 2, 3]);
  });

  it('fails with ended-early when an empty page stops a chain that the totals say is longer', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      totalRecords: (body) => body.total_results,
    });
    const error = expectFailure(
      () => run(paginator, (number) => (number === 2 ? { data: [] } : wtd(number))),
      'ended-early',
      2,
    );
    expect(error.message).toContain('2 of the 5 records');
  });

  it('fails with empty-page when an empty page says more follow', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
    });
    expectFailure(
      () => run(paginator, (number) => (number === 2 ? { ...wtd(2), data: [] } : wtd(number))),
      'empty-page',
      2,
    );
  });

  it('fails with inconsistent-total when the totals change between pages', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
    });
    expectFailure(
      () => run(paginator, (number) => ({ ...wtd(number), total_pages: number === 2 ? 4 : 3 })),
      'inconsistent-total',
      2,
    );
  });

  it('fails with inconsistent-total when the records outnumber the total', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      totalRecords: () => 3,
    });
    expectFailure(
      () => run(paginator, (number) => ({ data: number <= 2 ? rows(number * 2, 2) : [] })),
      'inconsistent-total',
      2,
    );
  });

  it('fails with cycle when a server serves its last page for ever (a full last page fetched forever)', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({ stop: 'has-more', hasMore: () => true });
    const error = expectFailure(
      () => run(paginator, (number) => ({ data: rows(Math.min(number, 3) * 2, 2) })),
      'cycle',
      4,
    );
    expect(error.reason).toContain('same as this one');
  });

  it('fails with duplicate-record when a page starts with the last record of the previous one', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      recordKey: (row) => row.id,
    });
    expectFailure(
      () => run(paginator, (number) => ({ data: number <= 3 ? rows(number - 1, 2) : [] })),
      'duplicate-record',
      2,
    );
  });

  it('fails with duplicate-record on a repeated long key, which the task carries as a digest', () => {
    const long = (n: number) => ({ id: `${'k'.repeat(80)}${n}` });
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      recordKey: (row) => row.id,
    });
    const [second] = paginator.next(seed, page({ data: [long(1), long(2)] })) as [SearchTask];
    expect(JSON.stringify(second.pagination)).not.toContain('k'.repeat(80));
    expectFailure(() => paginator.next(second, page({ data: [long(2), long(3)] })), 'duplicate-record', 2);
    expect(paginator.next(second, page({ data: [long(3), long(4)] }))).toHaveLength(1);
  });

  it('fails with duplicate-record on a key repeated within a page', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      recordKey: (row) => row.id,
    });
    expectFailure(
      () => paginator.next(seed, page({ data: [{ id: 'a' }, { id: 'b' }, { id: 'a' }] })),
      'duplicate-record',
      1,
    );
  });

  it('names the first record of a page that repeats an earlier one of it', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      recordKey: (row) => row.id,
    });
    const error = expectFailure(
      () => paginator.next(seed, page({ data: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'b' }] })),
      'duplicate-record',
      1,
    );
    expect(error.reason).toBe('record 4 of the page repeats an earlier one of it');
  });

  it("names the record that repeats the previous page's last, short key or long", () => {
    for (const id of [(n: number) => `r${n}`, (n: number) => `${'k'.repeat(80)}${n}`]) {
      const paginator = pageNumber<SearchTask, Body, { id: string }>({
        stop: 'empty-page',
        recordKey: (row) => row.id,
      });
      const [second] = paginator.next(seed, page({ data: [{ id: id(1) }, { id: id(2) }] })) as [SearchTask];
      const error = expectFailure(
        () => paginator.next(second, page({ data: [{ id: id(3) }, { id: id(4) }, { id: id(2) }] })),
        'duplicate-record',
        2,
      );
      expect(error.reason).toBe('record 3 of the page repeats the last record of the previous page');
    }
  });

  it('carries the last record key across an empty page it allows', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'has-more',
      hasMore: (body) => body.has_more,
      recordKey: (row) => row.id,
      allowEmptyPages: true,
    });
    const [second] = paginator.next(seed, page({ data: [{ id: 'a' }, { id: 'b' }], has_more: true })) as [
      SearchTask,
    ];
    const [third] = paginator.next(second, page({ data: [], has_more: true })) as [SearchTask];
    expect(third.pagination?.lastKey).toBe('k:b');
    expectFailure(
      () => paginator.next(third, page({ data: [{ id: 'b' }], has_more: false })),
      'duplicate-record',
      3,
    );
  });

  it('fails with max-pages when the chain would grow past maxPages', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({ stop: 'empty-page', maxPages: 2 });
    expectFailure(() => run(paginator, (number) => ({ data: rows(number * 10, 1) })), 'max-pages', 2);
  });

  it('fails with invalid-page when the policy reads a total that no page gave', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
    });
    expectFailure(() => run(paginator, () => ({ data: rows(0, 1) })), 'invalid-page', 1);
  });

  it('exposes the expected totals of the chain on every page', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-records',
      totalRecords: (body) => body.total_results,
      pageSize: 2,
    });
    const first = paginator.step(seed, page({ data: rows(0, 2), total_results: 5 }));
    expect(first.expected).toEqual({ records: 5, pages: 3 });
    const second = paginator.step(first.nextTasks[0] as SearchTask, page({ data: rows(2, 2) }));
    expect(second).toMatchObject({ done: false, expected: { records: 5, pages: 3 } });
  });

  it('puts the page number in the task, where the handler and params read it', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      param: 'page',
      first: 0,
    });
    expect(paginator.params(seed)).toEqual({ page: 0 });
    const [next] = paginator.next(seed, page({ data: rows(0, 1) }));
    expect(next).toMatchObject({ type: 'wtd.stock_search', search_term: 'new york', page: 1 });
    expect(paginator.params(next as SearchTask)).toEqual({ page: 1 });
  });

  it('takes a task without chain state at page N as page N of its chain, given the page size', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
      totalRecords: (body) => body.total_results,
      pageSize: 2,
      fanOut: true,
    });
    expect(paginator.step({ ...seed, page: 3 }, page(wtd(3)))).toMatchObject({ done: true, nextTasks: [] });
    const [next] = paginator.next({ ...seed, page: 2 }, page(wtd(2)));
    expect(next).toMatchObject({ page: 3, pagination: { page: 3, records: 4 } });
  });

  it('carries its chain state as plain JSON, so a task survives a queue', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'empty-page',
      recordKey: (row) => row.id,
    });
    let task: SearchTask = seed;
    for (let number = 1; number <= 5; number += 1) {
      [task] = paginator.next(JSON.parse(JSON.stringify(task)), page({ data: rows(number * 2, 2) })) as [
        SearchTask,
      ];
    }
    expect(JSON.parse(JSON.stringify(task))).toEqual(task);
    expect(task.page).toBe(6);
  });

  it('fails with invalid-state when a task carries a state it did not write', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({ stop: 'empty-page' });
    const forged = { ...seed, pagination: { page: -1 } } as unknown as SearchTask;
    expectFailure(() => paginator.next(forged, page({ data: [] })), 'invalid-state', 1);
  });

  it('refuses a stop policy without the accessor it reads', () => {
    expect(() => pageNumber({ stop: 'total-pages' })).toThrow(InvalidOptionError);
    expect(() => pageNumber({ stop: 'short-page' })).toThrow(InvalidOptionError);
    expect(() => pageNumber({ stop: 'empty-page', maxPages: 0 })).toThrow(InvalidOptionError);
    expect(() => pageNumber({ stop: 'empty-page', stateField: 'page' })).toThrow(InvalidOptionError);
  });
});

describe('pageNumber with fanOut', () => {
  const fanned = () =>
    pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
      totalRecords: (body) => body.total_results,
      pageSize: 2,
      fanOut: true,
    });

  it('names every page from page 1, so the crawl can fetch them at once; each fanned page is a leaf', () => {
    const paginator = fanned();
    const first = paginator.step(seed, page(wtd(1)));
    expect(first.nextTasks.map((task) => task.page)).toEqual([2, 3]);
    expect(first.expected).toEqual({ records: 5, pages: 3 });
    const [second, third] = first.nextTasks as [SearchTask, SearchTask];
    expect(paginator.step(second, page({ data: rows(2, 2) }))).toMatchObject({ nextTasks: [], done: true });
    expect(paginator.step(third, page({ data: rows(4, 1) }))).toMatchObject({ nextTasks: [], done: true });
  });

  it('fails with ended-early on a short page that is not the last, and on a last page short of the total', () => {
    const paginator = fanned();
    const [second, third] = paginator.next(seed, page(wtd(1))) as [SearchTask, SearchTask];
    expectFailure(() => paginator.next(second, page({ data: rows(2, 1) })), 'ended-early', 2);
    expectFailure(() => paginator.next(third, page({ data: [] })), 'ended-early', 3);
  });

  it('continues from the last page as a chain when it says more follow', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
      hasMore: (body) => body.has_more,
      pageSize: 2,
      fanOut: true,
    });
    const [, third] = paginator.next(seed, page({ ...wtd(1), has_more: true })) as [SearchTask, SearchTask];
    const [fourth] = paginator.next(third, page({ data: rows(4, 2), has_more: true }));
    expect(fourth?.page).toBe(4);
  });

  it('fails with max-pages when page 1 announces more pages than maxPages', () => {
    const paginator = pageNumber<SearchTask, Body, { id: string }>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
      pageSize: 2,
      fanOut: true,
      maxPages: 2,
    });
    expectFailure(() => paginator.next(seed, page(wtd(1))), 'max-pages', 1);
  });

  it('refuses fanOut without a page size or a total', () => {
    expect(() => pageNumber({ stop: 'empty-page', fanOut: true, pageSize: 2 })).toThrow(InvalidOptionError);
    expect(() => pageNumber({ stop: 'total-pages', totalPages: () => 1, fanOut: true })).toThrow(
      InvalidOptionError,
    );
  });
});
