import type { Task } from '../task.js';

/**
 * The public shapes of the paginators: the page a handler hands over, the step it gets back,
 * the state a task carries, and the options every paginator shares.
 */

/** Response headers: a fetch `Headers`, or a plain object (any letter case) as Node and ky give. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** One fetched page, as a handler hands it to a paginator. */
export type Page<B = unknown, R = unknown> = {
  /** The page's records, in the source's order. */
  readonly records: readonly R[];
  /** The parsed response body, for the paginator's accessors (`hasMore`, `from`, totals…). */
  readonly body: B;
  /** The response headers; `linkHeader` reads `Link` from them. */
  readonly headers?: HeadersLike | undefined;
  /** The URL that was fetched: relative next links are resolved against it. */
  readonly url?: string | undefined;
};

/** The totals a page announces (or an earlier page of its chain announced), where known. */
export type Expected = { readonly records?: number; readonly pages?: number };

/** What a paginator makes of one page. */
export type PageStep<T extends Task> = {
  /** The tasks after the page: none when the chain ends. */
  readonly nextTasks: T[];
  /** Whether the chain ends at this page. */
  readonly done: boolean;
  /** The chain's totals as the server announced them, for a completeness check; absent if unknown. */
  readonly expected?: Expected;
};

/**
 * The state a task carries about its chain, so that any worker can run the next page. Plain JSON
 * of constant size whatever the chain's length: counts, the totals announced so far, and Brent's
 * cycle detector (digests of 16 hex characters, a 64-bit prefix of SHA-256).
 */
export type PaginationState = {
  /** The page's place in its chain: 1 for the first. */
  readonly page: number;
  /** Records on the chain's earlier pages. */
  readonly records: number;
  readonly totalRecords?: number;
  readonly totalPages?: number;
  /** The last record key of the previous non-empty page (with `recordKey`): `k:<key>`, or `h:<digest>` when longer than 64. */
  readonly lastKey?: string;
  /** Set on the pages a fan-out named: each is a leaf, checked on its own. */
  readonly fanned?: boolean;
  /** The digest of the chain's first position, to catch a link back to the start at once. */
  readonly first?: string;
  /** Brent: the digest of the previous position, to catch an echo at once. */
  readonly previous?: string;
  /** Brent: the saved position that later positions are compared with. */
  readonly mark?: string;
  /** Brent: the length of the current window, a power of two. */
  readonly power: number;
  /** Brent: positions compared with `mark` so far in this window. */
  readonly steps: number;
};

/** What every paginator turns a page into: its next tasks, and the request parameters of a task. */
export type Paginator<T extends Task, B = unknown, R = unknown> = {
  /**
   * The page's next tasks: `nextTasks: paginator.next(task, page)` in a handler.
   * @throws {PaginationError} when the page would loop, stop early, or cannot be trusted.
   */
  readonly next: (task: T, page: Page<B, R>) => T[];
  /** Like {@link Paginator.next}, with whether the chain ends and its expected totals. */
  readonly step: (task: T, page: Page<B, R>) => PageStep<T>;
  /** The task's pagination parameters, to put in the request's query or body (empty on page 1 of a cursor chain). */
  readonly params: (task: T) => Record<string, string | number>;
};

/** Reads a number or a flag from a page. `null` and `undefined` mean "this page does not say". */
export type PageAccessor<B, R, V> = (body: B, page: Page<B, R>) => V | null | undefined;

/** Options every paginator takes. */
export type PaginatorBaseOptions<B, R> = {
  /**
   * The most pages one chain may have; a page that would lead past it fails with `max-pages`.
   * Cycles are found without it; it guards against a source that invents new pages forever.
   * @default Infinity
   */
  readonly maxPages?: number;
  /** The total number of records, where the API says (e.g. `body.total_results`). A cross-check, or a stop policy. */
  readonly totalRecords?: PageAccessor<B, R, number>;
  /** The total number of pages, where the API says (e.g. `body.total_pages`). A cross-check, or a stop policy. */
  readonly totalPages?: PageAccessor<B, R, number>;
  /** Whether more pages follow, where the API says (e.g. `body.has_more`). A cross-check, or a stop policy. */
  readonly hasMore?: PageAccessor<B, R, boolean>;
  /**
   * A record's unique key. With it, a record repeated within a page or from the previous page
   * fails with `duplicate-record`, and page numbers and offsets compare pages by their keys only
   * (measured: ~0.1 ms a page of 100 records, against ~0.3 ms by the JSON of 25 KB pages).
   * @default none: pages are compared by their JSON
   */
  readonly recordKey?: (record: R) => string;
  /**
   * Accept an empty page that says more pages follow. Off, such a page fails with `empty-page`:
   * a source that answers empty pages forever would otherwise never end.
   * @default false
   */
  readonly allowEmptyPages?: boolean;
  /**
   * The task field that carries the chain's {@link PaginationState}.
   * @default 'pagination'
   */
  readonly stateField?: string;
};

/**
 * When a page-numbered or offset chain ends:
 * - `'total-pages'` — after page `totalPages` (needs `totalPages`);
 * - `'total-records'` — once the chain holds `totalRecords` records (needs `totalRecords`);
 * - `'has-more'` — at the first page whose `hasMore` is false (needs `hasMore`);
 * - `'empty-page'` — at the first empty page (one request more than the data needs);
 * - `'short-page'` — at the first page with fewer than `pageSize` records (needs `pageSize`;
 *   only for APIs that always fill their pages).
 */
export type NumberedStopPolicy = 'total-pages' | 'total-records' | 'has-more' | 'empty-page' | 'short-page';

/** A paginator whose tasks carry the URL to fetch. */
export type UrlPaginator<T extends Task, B = unknown, R = unknown> = Paginator<T, B, R> & {
  /** The URL to fetch for the task, or `undefined` on the chain's first page (fetch your first URL). */
  readonly url: (task: T) => string | undefined;
};

/**
 * When a URL chain ends:
 * - `'no-next'` — at the first page with no next URL;
 * - `'empty-page'` — also at the first empty page, for APIs that always link to a next page.
 */
export type UrlStopPolicy = 'no-next' | 'empty-page';

/** Options of URL paginators. */
export type UrlOptions<B, R> = PaginatorBaseOptions<B, R> & {
  /** When the chain ends. Every other accessor given is a cross-check: a page that contradicts it fails. */
  readonly stop: UrlStopPolicy;
  /**
   * The task field that carries the URL to fetch; absent on the first page.
   * @default 'url'
   */
  readonly param?: string;
  /**
   * Where the credentials may go: a next URL on another origin (scheme, host, port) fails with
   * `foreign-next-url`, since the handler would send it the token. Relative URLs resolve against
   * the page's `url`, else the task's, else this.
   */
  readonly baseUrl?: string;
  /**
   * Query parameters removed from every next URL before it goes into a task, for APIs that echo
   * the credential into their links (`?api_token=…`): tasks travel through queues, logs and
   * sinks, so the handler adds the credential back to the URL it fetches.
   * @default []
   */
  readonly dropParams?: readonly string[];
  /**
   * Further origins next URLs may point to (`'https://files.example.com'`).
   * @default []
   */
  readonly allowedOrigins?: readonly string[];
};
