import type { Task } from '../task.js';
import type { Page, PageStep, UrlOptions, UrlPaginator } from './paginator.js';
import { examine, readHeader, resolveBase } from './paginator-internals.js';
import { parseLinkHeader } from './parse-link-header.js';
import { taskUrl, urlSettings, urlStep } from './url-internals.js';

/** Options of {@link linkHeader}. */
export type LinkHeaderOptions<B, R> = UrlOptions<B, R> & {
  /**
   * The relation type of the next page's link.
   * @default 'next'
   */
  readonly rel?: string;
};

/**
 * A paginator for APIs that link the next page in an RFC 8288 `Link` header
 * (`Link: <https://api.github.com/…&page=3>; rel="next", <…>; rel="last"`), as GitHub does.
 * Relative links resolve against the request URL; a link to another origin than `baseUrl` (or,
 * without it, than the request's) fails with `foreign-next-url`; a link that comes back to an
 * earlier page of the chain, however far back, fails with `cycle`.
 *
 * @example
 * const issues = linkHeader<IssuesTask, Issue[], Issue>({ stop: 'no-next', baseUrl: 'https://api.github.com' });
 * // in the handler:
 * const url = issues.url(task) ?? `https://api.github.com/repos/${task.repo}/issues?per_page=100`;
 * const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
 * const body = (await response.json()) as Issue[];
 * return { task, data: body, nextTasks: issues.next(task, { records: body, body, headers: response.headers, url }) };
 */
export function linkHeader<T extends Task, B = unknown, R = unknown>(
  options: LinkHeaderOptions<B, R>,
): UrlPaginator<T, B, R> {
  const settings = urlSettings(options);
  const base = resolveBase(options, settings.param);
  const rel = (options.rel ?? 'next').toLowerCase();
  const step = (task: T, page: Page<B, R>): PageStep<T> => {
    const context = examine(task, page, base);
    const header = readHeader(page.headers, 'link');
    const link =
      header === undefined ? undefined : parseLinkHeader(header).find((value) => value.rel.includes(rel));
    return urlStep(context, page, link?.uri, options, base, settings);
  };
  return {
    step,
    next: (task, page) => step(task, page).nextTasks,
    params: () => ({}),
    url: (task) => taskUrl(task, settings),
  };
}
