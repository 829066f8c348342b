import {
  catchError,
  defer,
  firstValueFrom,
  from,
  isObservable,
  map,
  type Observable,
  take,
  throwError,
  throwIfEmpty,
} from 'rxjs';
import { InvalidTaskResultError, type TaskLabel, toError } from './errors.js';
import type { Handler, HandlerContext, Task, TaskResult } from './task.js';
import { traceAttempt } from './telemetry/trace-attempt.js';

/**
 * Calls a handler once and checks its answer: a Promise or an Observable (its first value
 * counts), giving a TaskResult whose `task` is the task that ran, whatever the handler put there.
 * Anything thrown that is not an Error becomes a `NonErrorThrownError`. The crawl builds its
 * retries and rate limit around this; a distributed worker calls {@link runHandler}.
 */
export function callHandler<T extends Task, D>(
  handler: Handler<T, D>,
  task: T,
  context: HandlerContext,
  label: TaskLabel,
): Observable<TaskResult<T, D>> {
  const attempt$ = defer(() => {
    const output = handler(task, context);
    return isObservable(output) ? output : from(output);
  }).pipe(
    take(1),
    throwIfEmpty(() => new InvalidTaskResultError(label, 'its Observable completed without a TaskResult.')),
    map((result) => checkTaskResult<T, D>(result, task, label)),
    catchError((thrown: unknown) => throwError(() => toError(thrown))),
  );
  // A span per attempt (a no-op without an OpenTelemetry SDK), current while the handler runs.
  return traceAttempt(label, context, attempt$);
}

/**
 * {@link callHandler} as a Promise: one attempt, no retry (the caller's queue retries).
 *
 * @throws what the handler throws, or `InvalidTaskResultError` when its answer is not a TaskResult.
 * @example const page = await runHandler(handler, task, context, labelTask(task));
 */
export function runHandler<T extends Task, D>(
  handler: Handler<T, D>,
  task: T,
  context: HandlerContext,
  label: TaskLabel,
): Promise<TaskResult<T, D>> {
  return firstValueFrom(callHandler(handler, task, context, label));
}

/**
 * Checks that a handler's answer is a TaskResult: an object with `data` and `nextTasks` arrays.
 * @throws {InvalidTaskResultError} naming the task otherwise.
 */
export function checkTaskResult<T extends Task, D>(
  result: unknown,
  task: T,
  label: TaskLabel,
): TaskResult<T, D> {
  if (typeof result !== 'object' || result === null) {
    throw new InvalidTaskResultError(label, `expected { task, data, nextTasks }, got ${String(result)}.`);
  }
  const { data, nextTasks } = result as Partial<TaskResult<T, D>>;
  if (!Array.isArray(data)) throw new InvalidTaskResultError(label, '`data` is not an array.');
  if (!Array.isArray(nextTasks)) throw new InvalidTaskResultError(label, '`nextTasks` is not an array.');
  return { task, data, nextTasks };
}
