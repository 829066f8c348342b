import { CapitalError, describeTask } from '../errors.js';
import type { Task } from '../task.js';
import { labelTask, taskKey } from '../task.js';

/**
 * Why a paginator refused a page:
 * - `cycle` — the chain came back to a cursor, URL or page content it had already had;
 * - `max-pages` — the chain would grow past the paginator's `maxPages`;
 * - `ended-early` — the page ends the chain (no next cursor or link, `has_more: false`, an empty or
 *   short page) while its totals, or an earlier page's, or its own `has_more`, say more exists;
 * - `inconsistent-total` — the totals changed between pages, or the records outnumber them;
 * - `empty-page` — an empty page that says more follow: the chain makes no progress;
 * - `duplicate-record` — a record key repeats within the page or from the previous page;
 * - `foreign-next-url` — a next URL on another origin than the configured base (it would get the
 *   credentials);
 * - `invalid-page` — a page field the paginator reads is not what it must be (a total that is not
 *   a whole number, a cursor that is not a string, a relative link with no request URL…);
 * - `invalid-state` — the task's pagination state is not one this paginator wrote.
 */
export type PaginationErrorCode =
  | 'cycle'
  | 'max-pages'
  | 'ended-early'
  | 'inconsistent-total'
  | 'empty-page'
  | 'duplicate-record'
  | 'foreign-next-url'
  | 'invalid-page'
  | 'invalid-state';

/**
 * A paginator refused to turn a page into its next tasks: pagination that would never end, or
 * that would stop without every record. Never retryable: the same page gives the same answer.
 * The message names the task, the page's place in its chain and the reason — never a cursor or
 * a URL's query, which may carry a token.
 */
export class PaginationError extends CapitalError {
  override readonly code: PaginationErrorCode;
  /** The task whose page was refused, by its key. */
  readonly taskKey: string;
  /** The page's place in its chain: 1 for the chain's first page. */
  readonly page: number;
  /** The reason in words, as in the message. */
  readonly reason: string;

  constructor(task: Task, page: number, code: PaginationErrorCode, reason: string) {
    const key = taskKey(task);
    super(
      `${describeTask(labelTask(task, key))}: pagination stopped at page ${page} of its chain (${code}): ${reason}`,
      {
        code,
      },
    );
    this.code = code;
    this.taskKey = key;
    this.page = page;
    this.reason = reason;
  }
  override name = 'PaginationError' as const;
}

/**
 * Tells whether a value is a {@link PaginationError}, also across duplicate installs of this
 * package (by name and brand, as ky's guards do).
 */
export function isPaginationError(value: unknown): value is PaginationError {
  return (
    value instanceof PaginationError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'PaginationError' &&
      Symbol.for('capital.error') in value)
  );
}
