import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { linkHeader } from './link-header.js';
import { PaginationError } from './pagination-error.js';
import type { HeadersLike } from './paginator.js';

type IssuesTask = { type: 'github.issues'; repo: string; url?: string };
const seed: IssuesTask = { type: 'github.issues', repo: 'acme/app' };
const first = 'https://api.github.test/repos/acme/app/issues?per_page=2&access_token=t0ken';

const issues = (options: Partial<Parameters<typeof linkHeader>[0]> = {}) =>
  linkHeader<IssuesTask, number[], number>({
    stop: 'no-next',
    baseUrl: 'https://api.github.test',
    ...options,
  });

const step = (
  paginator: ReturnType<typeof issues>,
  task: IssuesTask,
  headers: HeadersLike | undefined,
  records = [1, 2],
) => paginator.step(task, { records, body: records, headers, url: paginator.url(task) ?? first });

const failureOf = (action: () => unknown): PaginationError => {
  try {
    action();
  } catch (error) {
    if (error instanceof PaginationError) return error;
    throw error;
  }
  throw new Error('expected a PaginationError');
};

describe('linkHeader', () => {
  it('follows rel="next" among several links, resolving a relative link against the request URL', () => {
    const paginator = issues();
    expect(paginator.url(seed)).toBeUndefined();
    const result = step(paginator, seed, {
      link: '<https://api.github.test/x?page=1>; rel="first", <issues?page=2&per_page=2>; rel="next"; title="a, b", <issues?page=9>; rel=last',
    });
    expect(result.done).toBe(false);
    expect(paginator.url(result.nextTasks[0] as IssuesTask)).toBe(
      'https://api.github.test/repos/acme/app/issues?page=2&per_page=2',
    );
  });

  it('reads the header from a fetch Headers object, in a rel list, whatever its case', () => {
    const headers = new Headers({ LINK: '</repos/acme/app/issues?page=2>; rel="NEXT last"' });
    const [next] = issues().next(seed, { records: [1], body: [1], headers, url: first });
    expect(next?.url).toBe('https://api.github.test/repos/acme/app/issues?page=2');
  });

  it("ends the chain at a page without a next link under 'no-next'", () => {
    expect(step(issues(), seed, { Link: '</x?page=1>; rel="prev"' })).toEqual({ nextTasks: [], done: true });
    expect(step(issues(), seed, undefined)).toEqual({ nextTasks: [], done: true });
  });

  it("ends the chain at an empty page that still links on under 'empty-page'", () => {
    expect(step(issues({ stop: 'empty-page' }), seed, { link: '</x?page=2>; rel=next' }, [])).toMatchObject({
      done: true,
    });
    expect(failureOf(() => step(issues(), seed, { link: '</x?page=2>; rel=next' }, [])).code).toBe(
      'empty-page',
    );
  });

  it('fails with foreign-next-url on a link to another origin, naming the origin but not the path or query', () => {
    const error = failureOf(() =>
      step(issues(), seed, { link: '<https://evil.test/steal?access_token=t0ken>; rel="next"' }),
    );
    expect(error.code).toBe('foreign-next-url');
    expect(error.message).toContain('https://evil.test');
    expect(error.message).not.toContain('t0ken');
    expect(error.message).not.toContain('steal');
  });

  it('fails with foreign-next-url on a downgrade to http or another port', () => {
    for (const link of [
      '<http://api.github.test/x>; rel=next',
      '<https://api.github.test:8443/x>; rel=next',
    ]) {
      expect(failureOf(() => step(issues(), seed, { link })).code).toBe('foreign-next-url');
    }
  });

  it('follows a link to an origin named in allowedOrigins', () => {
    const paginator = issues({ allowedOrigins: ['https://uploads.github.test'] });
    expect(step(paginator, seed, { link: '<https://uploads.github.test/x>; rel=next' }).done).toBe(false);
  });

  it("keeps to the request's origin when no baseUrl is given", () => {
    const paginator = linkHeader<IssuesTask, number[], number>({ stop: 'no-next' });
    expect(step(paginator, seed, { link: '</x?page=2>; rel=next' }).done).toBe(false);
    expect(failureOf(() => step(paginator, seed, { link: '<https://evil.test/x>; rel=next' })).code).toBe(
      'foreign-next-url',
    );
  });

  it('fails with cycle when a next link points back to the first page', () => {
    const paginator = issues();
    const [second] = step(paginator, seed, { link: '</repos/acme/app/issues?page=2>; rel=next' }).nextTasks;
    const error = failureOf(() =>
      step(paginator, second as IssuesTask, { link: `<${first}#top>; rel=next` }),
    );
    expect(error).toMatchObject({ code: 'cycle', page: 2 });
  });

  it('fails with invalid-page on a relative link with no URL to resolve it against', () => {
    const paginator = linkHeader<IssuesTask, number[], number>({ stop: 'no-next' });
    const error = failureOf(() =>
      paginator.next(seed, { records: [1], body: [1], headers: { link: '</x>; rel=next' } }),
    );
    expect(error.code).toBe('invalid-page');
  });

  it('fails with invalid-page on an absolute link with neither a baseUrl nor a request URL to check its origin', () => {
    const paginator = linkHeader<IssuesTask, number[], number>({ stop: 'no-next' });
    const headers = { link: '<https://api.github.test/x>; rel=next' };
    expect(failureOf(() => paginator.next(seed, { records: [1], body: [1], headers })).code).toBe(
      'invalid-page',
    );
  });

  it('refuses a baseUrl that is not an absolute http(s) URL', () => {
    expect(() => issues({ baseUrl: '/relative' })).toThrow(InvalidOptionError);
    expect(() => issues({ allowedOrigins: ['ftp://files.test'] })).toThrow(InvalidOptionError);
  });
});
