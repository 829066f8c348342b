import * as crypto from 'node:crypto';
import type { Observable } from 'rxjs';
import type { Expectation } from './completeness/expectation.js';
import type { TaskLabel } from './errors.js';
import { InvalidTaskError } from './errors.js';
import type { SendPermit } from './http/send-permit.js';
import type { JsonObject } from './json.js';
import { canonicalJson } from './json.js';
import type { Logger } from './logger.js';

/**
 * A request for one page of data: a plain, JSON-serialisable object, so that it can travel
 * through queues and logs and run on any worker. Give it a `type` (`'wtd.stock_search'`) so
 * that tasks of different connectors never share a key, and keep credentials out of it: carry
 * a reference (`'env:WTD_API_TOKEN'`) that the handler resolves.
 */
export type Task = JsonObject;

/** What a handler returns for one task: the page's records and the tasks that follow it. */
export type TaskResult<T extends Task = Task, D = unknown> = {
  /** The task that produced this page. */
  readonly task: T;
  /** The page's records, in the source's order. */
  readonly data: readonly D[];
  /** The tasks to run next: none when done, one for the next page, many for a fan-out. */
  readonly nextTasks: readonly T[];
  /**
   * What the whole result this page belongs to must hold (records, pages), as the API stated it;
   * a run checks what it stored against it (see `checkCompleteness`).
   */
  readonly expect?: Expectation | undefined;
};

/**
 * A handler's next tasks: an array, or an iterable or async iterable (a generator) that the
 * crawl draws from only as it has room, so that a fan-out of millions never sits in memory at
 * once. See `crawl` for how a lazy fan-out is recorded by a checkpointing sink.
 */
export type NextTasks<T extends Task = Task> = readonly T[] | Iterable<T> | AsyncIterable<T>;

/** What a handler returns: a {@link TaskResult} whose next tasks may be lazy. */
export type HandlerResult<T extends Task = Task, D = unknown> = {
  /** The task that produced this page. */
  readonly task: T;
  /** The page's records, in the source's order. */
  readonly data: readonly D[];
  /** The tasks to run next: none when done, one for the next page, many (or a generator) for a fan-out. */
  readonly nextTasks: NextTasks<T>;
  /** What the whole result must hold, as the page states it (see {@link TaskResult.expect}). */
  readonly expect?: Expectation | undefined;
};

/** What a handler receives besides its task. */
export type HandlerContext = {
  /** Aborted when the crawl is cancelled or fails; pass it to every request. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** The task's {@link taskKey}. */
  readonly taskKey: string;
  /** 1 on the first attempt, 2 on the first retry, … */
  readonly attempt: number;
  /** How long this attempt waited for its rate-limiter permit, in ms (none: no limiter). */
  readonly limiterWaitMs?: number | undefined;
  /**
   * The attempt's rate-limiter permit, to be checked just before the request is written: send
   * through `permitDispatcher(context.permit)`. Absent without a limiter.
   */
  readonly permit?: SendPermit | undefined;
};

/**
 * Executes one task and returns its page. A Promise, or an Observable that emits exactly one
 * TaskResult (handy in marble tests). Throw a `TransientError` (or an error with
 * `retryable: true`) for failures worth retrying, anything else fails the task at once.
 */
export type Handler<T extends Task = Task, D = unknown> = (
  task: T,
  context: HandlerContext,
) => Promise<TaskResult<T, D>> | Observable<TaskResult<T, D>>;

/**
 * A {@link Handler} whose next tasks may be lazy (an iterable or async iterable, see
 * {@link NextTasks}). `crawl` and `crawlFrom` take either; every Handler is a LazyHandler.
 */
export type LazyHandler<T extends Task = Task, D = unknown> = (
  task: T,
  context: HandlerContext,
) => Promise<HandlerResult<T, D>> | Observable<HandlerResult<T, D>>;

/**
 * The stable identity of a task across processes and runs: the SHA-256 of its canonical JSON
 * (keys sorted), in hex. Equal tasks have equal keys whatever their key order.
 *
 * @throws {InvalidTaskError} when the task is not a plain JSON-serialisable object.
 * @example taskKey({ type: 'wtd.stock_search', page: 2 }) === taskKey({ page: 2, type: 'wtd.stock_search' })
 */
export function taskKey(task: Task): string {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    const what = task === null ? 'null' : Array.isArray(task) ? 'an array' : `a ${typeof task}`;
    throw new InvalidTaskError(`A task must be a plain JSON object, not ${what}.`);
  }
  return sha256Hex(canonicalJson(task));
}

// `crypto.hash` (Node ≥ 20.12) hashes a string in one call, about twice as fast as a Hash object.
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** The `type` and `page` of a task, where it has them, to name it in messages and progress. */
export function labelTask(task: Task, key: string = taskKey(task)): TaskLabel {
  return {
    taskKey: key,
    type: typeof task.type === 'string' ? task.type : undefined,
    page: typeof task.page === 'number' ? task.page : undefined,
  };
}
