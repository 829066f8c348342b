import { catchError, concatMap, defer, from, map, type Observable, of, throwError } from 'rxjs';
import { callHandler } from '../call-handler.js';
import { isCapitalError, TaskFailedError, type TaskLabel } from '../errors.js';
import type { Handler, Task, TaskResult } from '../task.js';
import { recordRetry } from '../telemetry/retry-cause.js';
import type { CrawlConfig } from './crawl-config.js';
import { rateLimit } from './rate-limit.js';
import { retryTransient } from './retry-transient.js';

/** What running one task gives: a fetched page, or a page a checkpoint knows already. */
export type TaskOutcome<T extends Task, D> =
  | { readonly kind: 'fetched'; readonly result: TaskResult<T, D>; readonly attempts: number }
  | { readonly kind: 'skipped'; readonly nextTasks: readonly T[] };

/**
 * One task, start to end: ask the checkpoint, then per attempt take a permit and call the
 * handler, retrying transient failures. A 429's `Retry-After` pauses the limiter key for every
 * caller before the retry waits it out.
 */
export function runTask<T extends Task, D>(
  handler: Handler<T, D>,
  task: T,
  label: TaskLabel,
  config: CrawlConfig<T>,
  signal: AbortSignal,
): Observable<TaskOutcome<T, D>> {
  const checkpoint = config.checkpoint;
  if (checkpoint === undefined) return fetchPage(handler, task, label, config, signal);
  return from(checkpoint.completed([label.taskKey])).pipe(
    concatMap((stored) => {
      const nextTasks = stored.get(label.taskKey);
      return nextTasks === undefined
        ? fetchPage(handler, task, label, config, signal)
        : of({ kind: 'skipped', nextTasks } as const);
    }),
  );
}

function fetchPage<T extends Task, D>(
  handler: Handler<T, D>,
  task: T,
  label: TaskLabel,
  config: CrawlConfig<T>,
  signal: AbortSignal,
): Observable<TaskOutcome<T, D>> {
  const limiterKey = config.limiter ? config.limiterKey(task) : '';
  const permit$ = config.limiter
    ? of(task).pipe(
        rateLimit({
          limiter: config.limiter,
          key: limiterKey,
          scheduler: config.scheduler,
          onWait: (waitMs) => {
            limiterWaitMs = (limiterWaitMs ?? 0) + waitMs;
            config.onEvent({ type: 'limiter-wait', key: label.taskKey, waitMs });
          },
        }),
      )
    : of(task);
  let attempts = 0;
  let limiterWaitMs: number | undefined;
  const attempt$ = defer(() => {
    attempts += 1;
    const context = { signal, logger: config.logger, taskKey: label.taskKey, attempt: attempts };
    if (config.limiter) limiterWaitMs = 0; // onWait is called only for a wait > 0
    return permit$.pipe(concatMap(() => callHandler(handler, task, { ...context, limiterWaitMs }, label)));
  });
  const retried$ = config.retry
    ? attempt$.pipe(
        retryTransient({
          ...config.retry,
          scheduler: config.scheduler,
          random: config.random,
          onRetry: (error, retry, delayMs) => {
            recordRetry(error);
            config.onEvent({ type: 'retry', key: label.taskKey, page: label.page, retry, delayMs, error });
          },
          onRetryAfter: (retryAfterMs) => {
            // Tell every process sharing the limit, not only this task's next attempt.
            if (!config.limiter) return;
            Promise.resolve(config.limiter.pause(limiterKey, retryAfterMs)).catch((error: unknown) =>
              config.logger.warn('Could not pause the shared limiter', { limiterKey, error: String(error) }),
            );
          },
        }),
      )
    : attempt$;
  return retried$.pipe(
    map((result) => ({ kind: 'fetched', result, attempts }) as const),
    catchError((error: Error) =>
      throwError(() => (isTaskLevel(error) ? error : new TaskFailedError(label, attempts, error))),
    ),
  );
}

/** Errors that already name the task and say what is wrong with the handler pass unwrapped. */
function isTaskLevel(error: Error): boolean {
  return isCapitalError(error) && error.code === 'INVALID_TASK_RESULT';
}
