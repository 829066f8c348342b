import { map, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { HttpStatusError, TransientError } from '../../errors.js';
import type { HandlerContext, Task, TaskResult } from '../../task.js';

/** What a marble letter answers: the page's records and the tasks after it. */
export type MarblePage<T extends Task = Task, D = unknown> = {
  readonly data: readonly D[];
  /** @default [] */
  readonly nextTasks?: readonly T[];
};

/**
 * One attempt's answer, on virtual time: a marble string (`'--a|'` answers the page `a` after
 * 2 frames, `'---#'` fails after 3), or a marble with the error its `#` throws.
 */
export type MarbleScript = string | { readonly marbles: string; readonly error: unknown };

/** Options of {@link marbleHandler}. */
export type MarbleHandlerOptions<T extends Task, D> = {
  /**
   * Per task (named by `keyOf`), its attempts in turn: a single script answers every attempt;
   * a list answers the first attempt with its first script, the first retry with its second,
   * and the last one again once used up. A task with no script fails the test.
   */
  readonly scripts: Readonly<Record<string, MarbleScript | readonly MarbleScript[]>>;
  /** The pages the letters of the scripts stand for. */
  readonly values: Readonly<Record<string, MarblePage<T, D>>>;
  /**
   * The name of a task in `scripts`.
   * @default (task) => `page:${task.page}`
   */
  readonly keyOf?: (task: T) => string;
  /**
   * What a bare `#` throws.
   * @default new TransientError('Marble failure')
   */
  readonly error?: unknown;
};

/** One call of a marble handler: which task, which attempt, at which frame. */
export type MarbleCall = { readonly key: string; readonly attempt: number; readonly frame: number };

/** A handler made from marbles, with the record of its calls for timing assertions. */
export type MarbleHandler<T extends Task, D> = ((
  task: T,
  context: HandlerContext,
) => Observable<TaskResult<T, D>>) & {
  /** Every call so far, in order: `{ key: 'page:2', attempt: 2, frame: 7 }`. */
  readonly calls: readonly MarbleCall[];
};

/**
 * Makes a handler whose every answer — the page, its latency, a failure, a 429 with its
 * `Retry-After` — is written as marbles on a `TestScheduler`'s virtual time. Call it inside
 * `scheduler.run(…)` and give the same scheduler to `crawl`, the `MemoryLimiter` and
 * {@link ackAfterFrames}, so that retries, rate limits and the sink's acknowledgements all run
 * on the same frames.
 *
 * @param scheduler - The `TestScheduler` whose `run` callback is running.
 * @param options - Scripts and pages; see {@link MarbleHandlerOptions}.
 * @returns The handler, with `calls`.
 * @throws {Error} from the handler, when a task has no script (a test bug, not retried).
 * @example
 * const handler = marbleHandler(scheduler, {
 *   scripts: { 'page:1': '--a|', 'page:2': [{ marbles: '-#', error: tooManyRequests(5) }, '--b|'] },
 *   values: { a: { data: ['r1'], nextTasks: [{ page: 2 }] }, b: { data: ['r2'] } },
 * });
 */
export function marbleHandler<T extends Task, D>(
  scheduler: TestScheduler,
  options: MarbleHandlerOptions<T, D>,
): MarbleHandler<T, D> {
  const keyOf = options.keyOf ?? ((task: T) => `page:${String(task.page)}`);
  const fallbackError = options.error ?? new TransientError('Marble failure');
  const calls: MarbleCall[] = [];
  const attempts = new Map<string, number>();
  const handler = (task: T): Observable<TaskResult<T, D>> => {
    const key = keyOf(task);
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    calls.push({ key, attempt, frame: scheduler.now() });
    const script = scriptFor(options.scripts[key], attempt);
    if (script === undefined) throw new Error(`marbleHandler: no script for ${key}.`);
    const [marbles, error] =
      typeof script === 'string' ? [script, fallbackError] : [script.marbles, script.error];
    return scheduler
      .createColdObservable<MarblePage<T, D>>(marbles, options.values, error)
      .pipe(map((page) => ({ task, data: page.data, nextTasks: page.nextTasks ?? [] })));
  };
  return Object.assign(handler, { calls });
}

function scriptFor(
  scripts: MarbleScript | readonly MarbleScript[] | undefined,
  attempt: number,
): MarbleScript | undefined {
  if (scripts === undefined || typeof scripts === 'string' || !Array.isArray(scripts)) {
    return scripts as MarbleScript | undefined;
  }
  return scripts[Math.min(attempt, scripts.length) - 1];
}

/**
 * The error a 429 answer becomes in a handler: retried by the crawl after `retryAfterMs`
 * (frames, on a `TestScheduler`), and a pause of the limiter key for every task.
 *
 * @example { marbles: '-#', error: tooManyRequests(5) }
 */
export function tooManyRequests(retryAfterMs?: number): HttpStatusError {
  return new HttpStatusError(429, 'Too Many Requests', { retryAfterMs });
}
