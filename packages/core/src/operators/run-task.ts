import {
  catchError,
  concatMap,
  defer,
  firstValueFrom,
  from,
  fromEvent,
  map,
  Observable,
  of,
  Subscription,
  takeUntil,
  throwError,
} from 'rxjs';
import { callHandler, collectTasks } from '../call-handler.js';
import { isCapitalError, isRunDeferred, TaskFailedError, type TaskLabel } from '../errors.js';
import { limiterRate } from '../http/acquire-send-permit.js';
import { createSendPermit, maxSendDelayFor, type SendPermit } from '../http/send-permit.js';
import { listenForApiAnswers } from '../limit/api-answers.js';
import { pauseKeyOf } from '../limit/limiter-layers.js';
import type { ApiAnswer } from '../limit/rate-learning.js';
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
  // When the latest permit of this task was granted (the scheduler's clock, `Date.now` in production).
  let grantedAt = 0;
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
          onGrant: (at) => {
            grantedAt = at;
          },
        }),
      )
    : undefined;
  const maxDelayMs =
    config.limiter && (config.maxSendDelayMs ?? maxSendDelayFor(limiterKey, limiterRate(config.limiter)));
  // The attempt's permit, for the handler's HTTP client to check just before it writes.
  const sendPermit = (): SendPermit | undefined =>
    permit$ &&
    createSendPermit({
      grantedAt,
      maxDelayMs: maxDelayMs || 0,
      take: async (takeSignal) => {
        await nextPermit(permit$, takeSignal ?? signal);
        return grantedAt;
      },
      onSent: (delayMs) => config.onEvent({ type: 'request-sent', key: label.taskKey, delayMs }),
      onSpent: (ageMs) => config.onEvent({ type: 'permit-spent', key: label.taskKey, ageMs }),
    });
  let attempts = 0;
  // A limiter that learns the rate hears every answer the handler reports (single keys only).
  const limiter = config.limiter;
  const learn =
    limiter?.learn && typeof limiterKey === 'string'
      ? (answer: ApiAnswer) => {
          void Promise.resolve(limiter.learn?.(limiterKey, answer)).catch(() => {});
        }
      : undefined;
  const call = (attempt: number) => () =>
    listenForApiAnswers(
      learn,
      callHandler(
        handler,
        task,
        {
          signal,
          logger: config.logger,
          taskKey: label.taskKey,
          attempt,
          limiterWaitMs,
          permit: sendPermit(),
        },
        label,
      ),
    );
  // The error of a first attempt made outside the operators (see firstAttemptFirst), for them to
  // take as their own first attempt's.
  let firstError: { readonly error: unknown } | undefined;
  // Without a limiter there is no permit to wait for: call the handler straight away.
  const attempt$ = defer(() => {
    if (firstError !== undefined) {
      const { error } = firstError;
      firstError = undefined;
      return throwError(() => error);
    }
    attempts += 1;
    if (!permit$) return call(attempts)();
    limiterWaitMs = 0; // onWait is called only for a wait > 0
    return permit$.pipe(concatMap(() => call(attempts)()));
  });
  // Built only when needed: on the fast path below, only for a task whose first attempt failed.
  const outcomeOf = (): Observable<TaskOutcome<T, D>> => {
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
    const outcome$ = retried$.pipe(
      map((result): TaskOutcome<T, D> => ({ kind: 'fetched', result, attempts })),
      catchError((error: Error) => {
        if (isTaskLevel(error)) return throwError(() => error);
        const deferral = deferralOf(
          error,
          config.deferAfterMs,
          config.scheduler.now(),
          label,
          config.retry?.retryAfterCapMs,
        );
        // The key stays paused for every process sharing it, as long as the API asked.
        if (deferral) pauseShared(deferral.waitMs, error);
        return throwError(() => deferral ?? new TaskFailedError(label, attempts, error));
      }),
    );
    return outcome$;
  };
  if (permit$) return outcomeOf();
  // Most tasks succeed at their first attempt: without a limiter, it is made without the retry
  // operators, which join only if it fails (they then see its error as their first attempt's).
  return new Observable<TaskOutcome<T, D>>((subscriber) => {
    // One container for both: a handler that throws at once fails the first attempt before
    // its own subscription is returned.
    const subscription = new Subscription();
    attempts = 1;
    subscription.add(
      call(1)().subscribe({
        next: (result) => subscriber.next({ kind: 'fetched', result, attempts }),
        error: (error: unknown) => {
          firstError = { error };
          subscription.add(outcomeOf().subscribe(subscriber));
        },
        complete: () => subscriber.complete(),
      }),
    );
    return subscription;
  });

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

/** One more permit; an abort gives it back and rejects with the signal's reason. */
async function nextPermit(permit$: Observable<unknown>, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  try {
    await firstValueFrom(signal ? permit$.pipe(takeUntil(fromEvent(signal, 'abort'))) : permit$);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}
