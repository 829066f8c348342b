import type { Task } from '../task.js';
import type { Page, PageAccessor, PageStep, UrlOptions, UrlPaginator } from './paginator.js';
import { examine, resolveBase } from './paginator-internals.js';
import { taskUrl, urlSettings, urlStep } from './url-internals.js';

/** Options of {@link nextUrl}. */
export type NextUrlOptions<B, R> = UrlOptions<B, R> & {
  /** Where the credentials may go: next URLs on other origins fail with `foreign-next-url`. */
  readonly baseUrl: string;
  /** The next page's URL, read from the page (`body.next`, `body.links.next`, `body['@odata.nextLink']`); absolute or relative. */
  readonly from: PageAccessor<B, R, string>;
};

/**
 * A paginator for APIs whose body names the next page's URL (`{ "next": "https://…?page=3" }`, as
 * Django REST framework and OData do). A next URL on another origin than `baseUrl` (and
 * `allowedOrigins`) fails with `foreign-next-url`: the handler would send it the credentials.
 *
 * @example
 * const items = nextUrl<ItemsTask, { results: Item[]; next: string | null; count: number }, Item>({
 *   stop: 'no-next',
 *   baseUrl: 'https://api.example.com',
 *   from: (body) => body.next,
 *   totalRecords: (body) => body.count,
 * });
 * // in the handler:
 * const url = items.url(task) ?? 'https://api.example.com/items/?page_size=100';
 * const body = await getJson(url);
 * return { task, data: body.results, nextTasks: items.next(task, { records: body.results, body, url }) };
 */
export function nextUrl<T extends Task, B = unknown, R = unknown>(
  options: NextUrlOptions<B, R>,
): UrlPaginator<T, B, R> {
  const settings = urlSettings(options);
  const base = resolveBase(options, settings.param);
  const step = (task: T, page: Page<B, R>): PageStep<T> => {
    const context = examine(task, page, base);
    const raw = options.from(page.body, page);
    if (raw !== null && raw !== undefined && typeof raw !== 'string') {
      throw context.fail('invalid-page', 'the next URL is not a string');
    }
    return urlStep(context, page, raw ?? undefined, options, base, settings);
  };
  return {
    step,
    next: (task, page) => step(task, page).nextTasks,
    params: () => ({}),
    url: (task) => taskUrl(task, settings),
  };
}
