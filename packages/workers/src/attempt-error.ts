import {
  describeTask,
  isRetryable,
  NonRetryableError,
  redactError,
  retryAfterOf,
  TaskFailedError,
  type TaskLabel,
  TransientError,
  toError,
} from '@capital/core';
import { UnrecoverableError } from 'bullmq';

/** Where a failed attempt stands. */
export type AttemptContext = {
  readonly label: TaskLabel;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The job's `attempts`: after the last one, the task fails for good. */
  readonly attempts: number;
  /** A `Retry-After` longer than this fails the task rather than parking it, in ms. */
  readonly maxRetryAfterMs: number;
};

/**
 * What a worker throws for a failed attempt, so that BullMQ does the right thing and the job's
 * `failedReason` names the task and the cause (messages never hold credentials):
 *
 * - transient, attempts left → a `TransientError` (`TASK_ATTEMPT_FAILED`) keeping the cause's
 *   `retryAfterMs`, which the backoff strategy honours;
 * - transient, last attempt → `TaskFailedError`: no attempts are left, so BullMQ fails the job;
 * - permanent (or a `Retry-After` beyond `maxRetryAfterMs`) → BullMQ's `UnrecoverableError`,
 *   which fails the job at once, with the `TaskFailedError` as its cause.
 *
 * @example throw attemptError(error, { label, attempt: job.attemptsMade + 1, attempts: 6, maxRetryAfterMs: 300_000 })
 */
export function attemptError(thrown: unknown, context: AttemptContext): Error {
  // BullMQ stores the message and stack in Redis (failedReason, stacktrace, the events stream),
  // and `capital failed` prints them: no secret the resolver handed out may be in either.
  return redactError(shapeAttemptError(thrown, context));
}

function shapeAttemptError(thrown: unknown, context: AttemptContext): Error {
  const { label, attempt, attempts } = context;
  const cause = toError(thrown);
  if (!isRetryable(cause)) return unrecoverable(new TaskFailedError(label, attempt, cause));
  const retryAfterMs = retryAfterOf(cause);
  if (retryAfterMs !== undefined && retryAfterMs > context.maxRetryAfterMs) {
    const tooLong = new NonRetryableError(
      `the API asked to wait ${Math.ceil(retryAfterMs / 1000)} s, beyond the ${Math.ceil(context.maxRetryAfterMs / 1000)} s allowed: ${cause.message}`,
      { cause },
    );
    return unrecoverable(new TaskFailedError(label, attempt, tooLong));
  }
  if (attempt >= attempts) return new TaskFailedError(label, attempt, cause);
  return new TransientError(
    `${describeTask(label)}: attempt ${attempt} of ${attempts} failed: ${cause.message}`,
    {
      code: 'TASK_ATTEMPT_FAILED',
      retryAfterMs,
      cause,
    },
  );
}

/**
 * Wraps an error in BullMQ's `UnrecoverableError`, which fails a job at once whatever attempts
 * are left; the typed error stays as its `cause`.
 */
export function unrecoverable(error: Error): UnrecoverableError {
  const wrapped = new UnrecoverableError(error.message);
  wrapped.cause = error;
  return redactError(wrapped) as UnrecoverableError;
}
