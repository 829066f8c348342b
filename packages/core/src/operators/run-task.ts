import { catchError, concatMap, defer, from, map, type Observable, of, throwError } from 'rxjs';
import { callHandler, collectTasks } from '../call-handler.js';
import { isCapitalError, isRunDeferred, TaskFailedError, type TaskLabel } from '../errors.js';
import { pauseKeyOf } from '../limit/limiter-layers.js';
import { deferralFor, deferralOf } from '../retry/defer-decision.js';
import type { HandlerResult, LazyHandler, Task } from '../task.js';
import { recordRetry } from '../telemetry/retry-cause.js';
import type { CrawlConfig } from './crawl-config.js';
import { rateLimit } from './rate-limit.js';
import { retryTransient } from './retry-transient.js';

/** What running one task gives: a fetched page, or a page a checkpoint knows already. */
export type TaskOutcome<T extends Task, D> =
  | { readonly kind: 'fetched'; readonly result: HandlerResult<T, D>; readonly attempts: number }
  | { readonly kind: 'skipped'; readonly nextTasks: readonly T[] };

/**
 * One task, start to end: ask the checkpoint, then per attempt take a permit and call the
 * handler, retrying transient failures. A 429's `Retry-After` pauses the limiter key for every
 * caller before the retry waits it out.
 */
export function runTask<T extends Task, D>(
  handler: LazyHandler<T, D>,
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
        ? fetchPage(handler, task, label, config, signal).pipe(concatMap(collectNextTasks))
        : of({ kind: 'skipped', nextTasks } as const);
    }),
  );
}

/**
 * A checkpointing sink records each page's next tasks so that a resumed run can carry on from
 * it: lazy ones are collected first, or the sink would record none and a resume would lose them.
 */
function collectNextTasks<T extends Task, D>(outcome: TaskOutcome<T, D>): Observable<TaskOutcome<T, D>> {
  if (outcome.kind !== 'fetched' || Array.isArray(outcome.result.nextTasks)) return of(outcome);
  return from(collectTasks(outcome.result.nextTasks)).pipe(
    map((nextTasks) => ({ ...outcome, result: { ...outcome.result, nextTasks } })),
  );
}

function fetchPage<T extends Task, D>(
  handler: LazyHandler<T, D>,
  task: T,
  label: TaskLabel,
  config: CrawlConfig<T>,
  signal: AbortSignal,
): Observable<TaskOutcome<T, D>> {
  const limiterKey = config.limiter ? config.limiterKey(task) : '';
  // The permit's wait of the current attempt, for its span; undefined without a limiter.
  let limiterWaitMs: number | undefined;
  const permit$ = config.limiter
    ? of(task).pipe(
        rateLimit({
          limiter: config.limiter,
          key: limiterKey,
          scheduler: config.scheduler,
          onWait: (waitMs, _task, reservation) => {
            // A pause another process set (shared through Redis) that outlasts the threshold
            // defers the run rather than holding a permit for an hour; the rate alone never does.
            if ((reservation.pausedForMs ?? 0) > config.deferAfterMs) {
              const deferral = deferralFor(waitMs, config.deferAfterMs, config.scheduler.now(), { label });
              if (deferral) throw deferral;
            }
            limiterWaitMs = (limiterWaitMs ?? 0) + waitMs;
            config.onEvent({ type: 'limiter-wait', key: label.taskKey, waitMs });
          },
        }),
      )
    : undefined;
  let attempts = 0;
  const call = (attempt: number) => () =>
    callHandler(
      handler,
      task,
      { signal, logger: config.logger, taskKey: label.taskKey, attempt, limiterWaitMs },
      label,
    );
  // Without a limiter there is no permit to wait for: call the handler straight away.
  const attempt$ = defer(() => {
    attempts += 1;
    if (!permit$) return call(attempts)();
    limiterWaitMs = 0; // onWait is called only for a wait > 0
    return permit$.pipe(concatMap(() => call(attempts)()));
  });
  const retried$ = config.retry
    ? attempt$.pipe(
        retryTransient({
          ...config.retry,
          deferAfterMs: config.deferAfterMs,
          scheduler: config.scheduler,
          random: config.random,
          onRetry: (error, retry, delayMs) => {
            recordRetry(error);
            config.onEvent({ type: 'retry', key: label.taskKey, page: label.page, retry, delayMs, error });
          },
          onRetryAfter: pauseShared,
        }),
      )
    : attempt$;
  return retried$.pipe(
    map((result) => ({ kind: 'fetched', result, attempts }) as const),
    catchError((error: Error) => {
      if (isTaskLevel(error)) return throwError(() => error);
      const deferral = deferralOf(error, config.deferAfterMs, config.scheduler.now(), label);
      // The key stays paused for every process sharing it, as long as the API asked.
      if (deferral) pauseShared(deferral.waitMs, error);
      return throwError(() => deferral ?? new TaskFailedError(label, attempts, error));
    }),
  );

  /**
   * Tells every process sharing the limit of a `Retry-After`, not only this task's next attempt.
   * Of a layered key, the layer the error names refused; otherwise the first, the widest.
   */
  function pauseShared(retryAfterMs: number, error: Error): void {
    if (!config.limiter) return;
    const pausedKey = pauseKeyOf(limiterKey, error);
    Promise.resolve(config.limiter.pause(pausedKey, retryAfterMs)).catch((pauseError: unknown) =>
      config.logger.warn('Could not pause the shared limiter', {
        limiterKey: pausedKey,
        error: String(pauseError),
      }),
    );
  }
}

/**
 * Errors that already name the task and say what is wrong with the handler pass unwrapped, and
 * so does a deferral (a limiter's, raised while waiting for a permit).
 */
function isTaskLevel(error: Error): boolean {
  return (isCapitalError(error) && error.code === 'INVALID_TASK_RESULT') || isRunDeferred(error);
}
