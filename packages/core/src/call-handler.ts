import {
  catchError,
  defer,
  firstValueFrom,
  from,
  isObservable,
  map,
  Observable,
  take,
  throwError,
  throwIfEmpty,
} from 'rxjs';
import { parseExpectation } from './completeness/expectation.js';
import { InvalidTaskResultError, type TaskLabel } from './errors.js';
import { redactError } from './redact/redact-error.js';
import type { HandlerContext, HandlerResult, LazyHandler, NextTasks, Task, TaskResult } from './task.js';
import { telemetryOff } from './telemetry/telemetry-off.js';
import { traceAttempt } from './telemetry/trace-attempt.js';

/**
 * Calls a handler once and checks its answer: a Promise or an Observable (its first value
 * counts), giving a TaskResult whose `task` is the task that ran, whatever the handler put there.
 * Anything thrown that is not an Error becomes a `NonErrorThrownError`. The crawl builds its
 * retries and rate limit around this; a distributed worker calls {@link runHandler}.
 */
export function callHandler<T extends Task, D>(
  handler: LazyHandler<T, D>,
  task: T,
  context: HandlerContext,
  label: TaskLabel,
): Observable<HandlerResult<T, D>> {
  const call = untracedCall(handler, task, context, label);
  // A span per attempt, current while the handler runs, and the attempt's metrics; neither
  // wrapped around the call when nothing would record them.
  return telemetryOff() ? call : traceAttempt(label, context, call);
}

function untracedCall<T extends Task, D>(
  handler: LazyHandler<T, D>,
  task: T,
  context: HandlerContext,
  label: TaskLabel,
): Observable<HandlerResult<T, D>> {
  return new Observable<HandlerResult<T, D>>((subscriber) => {
    let output: ReturnType<LazyHandler<T, D>>;
    try {
      output = handler(task, context);
    } catch (thrown) {
      subscriber.error(redactError(thrown));
      return;
    }
    if (!isPromiseLike(output)) {
      const answer = output;
      return checkedFirst<T, D>(
        defer(() => from(answer)),
        task,
        label,
      ).subscribe(subscriber);
    }
    // The common case, a Promise, without the four operators an Observable answer needs: this
    // runs once per attempt, and at 0 ms latency their cost showed.
    let active = true;
    output.then(
      (result) => {
        if (!active) return;
        let checked: HandlerResult<T, D>;
        try {
          checked = checkTaskResult<T, D>(result, task, label);
        } catch (error) {
          subscriber.error(redactError(error));
          return;
        }
        subscriber.next(checked);
        subscriber.complete();
      },
      // The one choke point of every connector's errors: no secret the resolver handed out leaves.
      (thrown: unknown) => {
        if (active) subscriber.error(redactError(thrown));
      },
    );
    return () => {
      active = false;
    };
  });
}

/** An Observable answer: its first value, checked; none is an error. */
function checkedFirst<T extends Task, D>(
  output: Observable<unknown>,
  task: T,
  label: TaskLabel,
): Observable<HandlerResult<T, D>> {
  return output.pipe(
    take(1),
    throwIfEmpty(() => new InvalidTaskResultError(label, 'its Observable completed without a TaskResult.')),
    map((result) => checkTaskResult<T, D>(result, task, label)),
    // The one choke point of every connector's errors: no secret the resolver handed out leaves.
    catchError((thrown: unknown) => throwError(() => redactError(thrown))),
  );
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return !isObservable(value) && typeof (value as Partial<PromiseLike<unknown>> | null)?.then === 'function';
}

/**
 * {@link callHandler} as a Promise: one attempt, no retry (the caller's queue retries). Lazy
 * next tasks are collected into an array, since the caller stores them.
 *
 * @throws what the handler throws, or `InvalidTaskResultError` when its answer is not a TaskResult.
 * @example const page = await runHandler(handler, task, context, labelTask(task));
 */
export async function runHandler<T extends Task, D>(
  handler: LazyHandler<T, D>,
  task: T,
  context: HandlerContext,
  label: TaskLabel,
): Promise<TaskResult<T, D>> {
  const result = await firstValueFrom(callHandler(handler, task, context, label));
  return { ...result, nextTasks: await collectTasks(result.nextTasks) };
}

/** Every task of `tasks` in an array (the array itself when it is one). */
export async function collectTasks<T extends Task>(tasks: NextTasks<T>): Promise<readonly T[]> {
  if (Array.isArray(tasks)) return tasks as readonly T[];
  const collected: T[] = [];
  for await (const task of tasks as AsyncIterable<T> | Iterable<T>) collected.push(task);
  return collected;
}

/**
 * Checks that a handler's answer is a TaskResult: an object with a `data` array and `nextTasks`
 * as an array, an iterable or an async iterable.
 * @throws {InvalidTaskResultError} naming the task otherwise.
 */
export function checkTaskResult<T extends Task, D>(
  result: unknown,
  task: T,
  label: TaskLabel,
): HandlerResult<T, D> {
  if (typeof result !== 'object' || result === null) {
    throw new InvalidTaskResultError(label, `expected { task, data, nextTasks }, got ${String(result)}.`);
  }
  const { data, nextTasks, expect } = result as Partial<HandlerResult<T, D>>;
  if (!Array.isArray(data)) throw new InvalidTaskResultError(label, '`data` is not an array.');
  if (!isNextTasks(nextTasks)) {
    throw new InvalidTaskResultError(label, '`nextTasks` is not an array, an iterable or an async iterable.');
  }
  if (expect === undefined) return { task, data, nextTasks };
  const parsed = parseExpectation(expect);
  if (typeof parsed === 'string') throw new InvalidTaskResultError(label, parsed);
  return { task, data, nextTasks, expect: parsed };
}

function isNextTasks(value: unknown): value is NextTasks<Task> {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  return (
    typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function' ||
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}
