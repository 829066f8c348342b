import { InvalidOptionError } from '../errors.js';
import type { Task } from '../task.js';
import { advance } from './brent-internals.js';
import type { Page, PageStep, UrlOptions } from './paginator.js';
import {
  continueChain,
  endChain,
  type ResolvedBase,
  type StepContext,
  stateError,
} from './paginator-internals.js';

/**
 * Shared by {@link linkHeader} and {@link nextUrl}: next URLs resolved, kept on the allowed
 * origins, and compared by Brent's algorithm. Not exported from the package.
 */

export type UrlSettings = {
  readonly param: string;
  readonly origins: ReadonlySet<string>;
  readonly baseUrl?: string;
};

/** Checks the URL options once. */
export function urlSettings<B, R>(options: UrlOptions<B, R>): UrlSettings {
  if (options.stop !== 'no-next' && options.stop !== 'empty-page') {
    throw new InvalidOptionError('stop', `unknown stop policy '${String(options.stop)}'`);
  }
  const origins = new Set<string>();
  for (const [name, value] of [
    ['baseUrl', options.baseUrl],
    ...(options.allowedOrigins ?? []).map((origin) => ['allowedOrigins', origin] as const),
  ] as const) {
    if (value === undefined) continue;
    const origin = originOf(value);
    if (origin === undefined) throw new InvalidOptionError(name, 'must be an absolute http(s) URL');
    origins.add(origin);
  }
  return {
    param: options.param ?? 'url',
    origins,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
  };
}

/** The URL a task asks for, if it carries one. */
export function taskUrl(task: Task, settings: UrlSettings): string | undefined {
  const value = task[settings.param];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw stateError(task, settings.param, 'is not a string');
  return value;
}

/**
 * Turns a page and its raw next URL into the step: the stop policy, the origin check, and
 * Brent's algorithm over the chain's URLs (the first page's own URL included).
 */
export function urlStep<T extends Task, B, R>(
  context: StepContext<T>,
  page: Page<B, R>,
  raw: string | undefined,
  options: UrlOptions<B, R>,
  base: ResolvedBase<B, R>,
  settings: UrlSettings,
): PageStep<T> {
  const own = page.url ?? taskUrl(context.task, settings);
  if (raw === undefined || raw === '') return endChain(context, 'the page has no next URL');
  if (options.stop === 'empty-page' && context.records === 0) return endChain(context, 'the page is empty');
  const resolveAgainst = own ?? settings.baseUrl;
  let next: URL;
  try {
    next = new URL(raw, resolveAgainst);
  } catch {
    throw context.fail(
      'invalid-page',
      resolveAgainst === undefined
        ? 'a relative next URL and no URL to resolve it against'
        : 'the next URL is not a URL',
    );
  }
  next.hash = '';
  for (const name of options.dropParams ?? []) next.searchParams.delete(name);
  const ownOrigin = own === undefined ? undefined : originOf(own);
  if (settings.origins.size === 0 && ownOrigin === undefined) {
    throw context.fail(
      'invalid-page',
      'no baseUrl and no request URL to check the next URL’s origin against',
    );
  }
  const allowed = settings.origins.size > 0 ? settings.origins : new Set([ownOrigin]);
  if (!allowed.has(next.origin)) {
    throw context.fail(
      'foreign-next-url',
      `the next URL points to ${safeOrigin(next)}, not to ${[...allowed].join(' or ')}: it would receive the credentials`,
    );
  }
  const state =
    context.state.page === 1 && own !== undefined
      ? { ...context.state, ...advance(context.state, normalise(own), context.fail) }
      : context.state;
  return continueChain(
    { ...context, state },
    base,
    next.href,
    (nextState) =>
      ({
        ...context.task,
        [settings.param]: next.href,
        [base.stateField]: nextState,
      }) as T,
  );
}

/** The URL's origin, or `undefined` if it is not an absolute http(s) URL. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

function normalise(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url;
  }
}

/** An origin fit for a message: never a path or query, which may carry a token. */
function safeOrigin(url: URL): string {
  return url.origin === 'null' ? `a ${url.protocol} URL` : url.origin;
}
