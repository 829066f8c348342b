/** What the crawl reports as it goes, through `onEvent`: enough for progress bars and metrics. */
export type CrawlEvent =
  /** A task left the frontier and started (waiting for a permit counts as started). */
  | { readonly type: 'task-started'; readonly key: string; readonly depth: number }
  /** A task's page arrived. */
  | {
      readonly type: 'page';
      readonly key: string;
      readonly records: number;
      readonly nextTasks: number;
      readonly attempts: number;
      /** Tasks waiting in the frontier after this page's next tasks joined it. */
      readonly queued: number;
    }
  /** A checkpoint said the page is stored already: not fetched, its recorded next tasks run. */
  | { readonly type: 'page-skipped'; readonly key: string; readonly nextTasks: number }
  /** An attempt failed with a transient error and will be retried after `delayMs`. */
  | {
      readonly type: 'retry';
      readonly key: string;
      /** The task's `page`, when it has one, so that a progress line can say which page. */
      readonly page?: number | undefined;
      readonly retry: number;
      readonly delayMs: number;
      readonly error: Error;
    }
  /** A task waits `waitMs` for the rate limiter. */
  | { readonly type: 'limiter-wait'; readonly key: string; readonly waitMs: number }
  /**
   * A request is being written `delayMs` after its permit's grant (handlers that send through
   * `permitDispatcher`).
   */
  | { readonly type: 'request-sent'; readonly key: string; readonly delayMs: number }
  /** A permit was spent unused: too old when its request was about to go (`ageMs` after its grant). */
  | { readonly type: 'permit-spent'; readonly key: string; readonly ageMs: number }
  /** A next task was already seen in this run, so it was dropped. */
  | { readonly type: 'duplicate'; readonly key: string };
