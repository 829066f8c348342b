import { describe, expect, it } from 'vitest';
import { nextUrl } from './next-url.js';
import { PaginationError } from './pagination-error.js';

type ItemsTask = { type: 'drf.items'; url?: string };
type Body = { results: number[]; next: string | null; count?: number };
const seed: ItemsTask = { type: 'drf.items' };
const firstUrl = 'https://api.test/items/?page_size=2';

const items = () =>
  nextUrl<ItemsTask, Body, number>({
    stop: 'no-next',
    baseUrl: 'https://api.test',
    from: (body) => body.next,
    totalRecords: (body) => body.count,
  });

const failureOf = (action: () => unknown): PaginationError => {
  try {
    action();
  } catch (error) {
    if (error instanceof PaginationError) return error;
    throw error;
  }
  throw new Error('expected a PaginationError');
};

describe('nextUrl', () => {
  it('follows the next URL in the body, relative or absolute, until it is null', () => {
    const paginator = items();
    const [second] = paginator.next(seed, {
      records: [1, 2],
      body: { results: [1, 2], next: '?page=2', count: 3 },
      url: firstUrl,
    });
    expect(paginator.url(second as ItemsTask)).toBe('https://api.test/items/?page=2');
    const last = paginator.step(second as ItemsTask, { records: [3], body: { results: [3], next: null } });
    expect(last).toEqual({ nextTasks: [], done: true, expected: { records: 3 } });
  });

  it('drops the named query parameters from next URLs, so an echoed token never enters a task', () => {
    const paginator = nextUrl<ItemsTask, Body, number>({
      stop: 'no-next',
      baseUrl: 'https://api.test',
      from: (body) => body.next,
      dropParams: ['api_token'],
    });
    const next = 'https://api.test/items/?page=2&api_token=s3cret&page_size=2';
    const [second] = paginator.next(seed, {
      records: [1, 2],
      body: { results: [1, 2], next },
      url: firstUrl,
    });
    expect(JSON.stringify(second)).not.toContain('s3cret');
    expect(paginator.url(second as ItemsTask)).toBe('https://api.test/items/?page=2&page_size=2');
  });

  it('fails with ended-early when the next URL is null before the count is reached', () => {
    const error = failureOf(() =>
      items().next(seed, { records: [1], body: { results: [1], next: null, count: 3 } }),
    );
    expect(error).toMatchObject({ code: 'ended-early', page: 1 });
  });

  it('fails with foreign-next-url on a next URL on another origin: it would receive the credentials', () => {
    const error = failureOf(() =>
      items().next(seed, {
        records: [1],
        body: { results: [1], next: 'https://evil.test/items/?page=2' },
        url: firstUrl,
      }),
    );
    expect(error.code).toBe('foreign-next-url');
  });

  it('fails with invalid-page on a next URL that is not a string', () => {
    const paginator = nextUrl<ItemsTask, { next: unknown }, number>({
      stop: 'no-next',
      baseUrl: 'https://api.test',
      from: (body) => body.next as string,
    });
    expect(failureOf(() => paginator.next(seed, { records: [1], body: { next: 3 } })).code).toBe(
      'invalid-page',
    );
  });

  it('fails with cycle when the next URL names the page itself', () => {
    const error = failureOf(() =>
      items().next(seed, { records: [1], body: { results: [1], next: firstUrl }, url: firstUrl }),
    );
    expect(error).toMatchObject({ code: 'cycle', page: 1 });
  });
});
