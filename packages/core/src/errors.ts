/**
 * Every error this library throws is a {@link CapitalError} with a machine-readable `code`.
 * Messages name tasks by key and page, never by credentials.
 */

const brand = Symbol.for('capital.error');

/** The base class of every error thrown by Capital connectors. */
export class CapitalError extends Error {
  /** A stable, machine-readable identifier of the condition. */
  readonly code: string;
  /** `true` when retrying the same operation may succeed. */
  readonly retryable: boolean = false;
  readonly [brand] = true;

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
  override name = 'CapitalError';
}

/**
 * Tells whether a value is a {@link CapitalError}, also when it comes from another copy of this
 * package (a brand check, as ky does, besides `instanceof`).
 */
export function isCapitalError(value: unknown): value is CapitalError {
  return value instanceof CapitalError || (typeof value === 'object' && value !== null && brand in value);
}

/** A task that is not a plain JSON object, or cannot be serialised faithfully. */
export class InvalidTaskError extends CapitalError {
  constructor(message: string) {
    super(message, { code: 'INVALID_TASK' });
  }
  override name = 'InvalidTaskError' as const;
}

/** An option outside its allowed range, caught where the options enter the library. */
export class InvalidOptionError extends CapitalError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`Invalid option ${option}: ${message}`, { code: 'INVALID_OPTION' });
    this.option = option;
  }
  override name = 'InvalidOptionError' as const;
}

/**
 * A failure worth another attempt: a network error, a timeout, HTTP 408, 429 or 5xx, a body
 * that is not valid JSON. `retryAfterMs` carries the server's `Retry-After`, when it sent one.
 */
export class TransientError extends CapitalError {
  override readonly retryable = true;
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: { code?: string; retryAfterMs?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, { code: options.code ?? 'TRANSIENT', cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
  override name: string = 'TransientError';
}

/** An HTTP answer with an error status. Retryable for 408, 429 and 5xx; permanent otherwise. */
export class HttpStatusError extends CapitalError {
  override readonly retryable: boolean;
  readonly status: number;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, options: { retryAfterMs?: number | undefined } = {}) {
    super(`HTTP ${status}: ${message}`, { code: 'HTTP_STATUS' });
    this.status = status;
    this.retryable = isTransientStatus(status);
    this.retryAfterMs = options.retryAfterMs;
  }
  override name = 'HttpStatusError' as const;
}

/**
 * The API refused the credential, whatever status it used to say so (some answer 200 with an
 * error body). Never retryable: the same token will be refused again.
 */
export class AuthenticationError extends CapitalError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'AUTHENTICATION_FAILED', cause: options.cause });
  }
  override name = 'AuthenticationError' as const;
}

/** Whether an HTTP status is worth retrying: 408, 429 and every 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A response that is not what the API documents (a schema mismatch, an error body, no data). */
export class InvalidResponseError extends CapitalError {
  override readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { code: 'INVALID_RESPONSE', cause: options.cause });
    this.retryable = options.retryable;
  }
  override name = 'InvalidResponseError' as const;
}

/** Wrap an error in this to say "do not retry", whatever its kind (p-retry's `AbortError`). */
export class NonRetryableError extends CapitalError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'NON_RETRYABLE', cause: options.cause });
  }
  override name = 'NonRetryableError' as const;
}

/** A handler threw or rejected with something that is not an `Error`; `value` keeps it. */
export class NonErrorThrownError extends CapitalError {
  readonly value: unknown;
  constructor(value: unknown) {
    super(`A handler threw a non-Error value (${describeValue(value)}); throw Error instances instead.`, {
      code: 'NON_ERROR_THROWN',
    });
    this.value = value;
  }
  override name = 'NonErrorThrownError' as const;
}

/** Context that names a task in messages: its key and, where the task has one, its page. */
export type TaskLabel = {
  readonly taskKey: string;
  readonly page?: number | undefined;
  readonly type?: string | undefined;
};

/** A task that failed for good: permanently, or after its last retry. `cause` is the last error. */
export class TaskFailedError extends CapitalError {
  readonly taskKey: string;
  readonly page: number | undefined;
  readonly attempts: number;
  constructor(label: TaskLabel, attempts: number, cause: Error) {
    super(
      `${describeTask(label)} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause.message}`,
      {
        code: 'TASK_FAILED',
        cause,
      },
    );
    this.taskKey = label.taskKey;
    this.page = label.page;
    this.attempts = attempts;
  }
  override name = 'TaskFailedError' as const;
}

/** A handler returned, as a next task, one of the task's own ancestors: the crawl would never end. */
export class TaskCycleError extends CapitalError {
  readonly taskKey: string;
  readonly nextTaskKey: string;
  constructor(label: TaskLabel, next: TaskLabel) {
    super(
      `${describeTask(label)} returned ${describeTask(next)} as a next task, but that task is one of its own ` +
        'ancestors: the handler would loop forever.',
      { code: 'TASK_CYCLE' },
    );
    this.taskKey = label.taskKey;
    this.nextTaskKey = next.taskKey;
  }
  override name = 'TaskCycleError' as const;
}

/** A chain of next tasks grew longer than the crawl's `maxDepth`. */
export class MaxDepthExceededError extends CapitalError {
  readonly taskKey: string;
  readonly maxDepth: number;
  constructor(label: TaskLabel, maxDepth: number) {
    super(
      `${describeTask(label)} is at depth ${maxDepth + 1} (a seed is at depth 0), beyond maxDepth ${maxDepth}: ` +
        'the handler may never stop returning next tasks (raise maxDepth if the source really is that deep).',
      { code: 'MAX_DEPTH_EXCEEDED' },
    );
    this.taskKey = label.taskKey;
    this.maxDepth = maxDepth;
  }
  override name = 'MaxDepthExceededError' as const;
}

/** A handler's answer is not a TaskResult (no `data` array, a `nextTasks` that is not an array…). */
export class InvalidTaskResultError extends CapitalError {
  readonly taskKey: string;
  constructor(label: TaskLabel, problem: string) {
    super(`${describeTask(label)}: the handler returned an invalid TaskResult: ${problem}`, {
      code: 'INVALID_TASK_RESULT',
    });
    this.taskKey = label.taskKey;
  }
  override name = 'InvalidTaskResultError' as const;
}

/** The shared rate limiter cannot be reached within its bounded wait. */
export class RateLimiterUnavailableError extends CapitalError {
  override readonly retryable = true;
  readonly limiterKey: string;
  constructor(limiterKey: string, message: string, options: { cause?: unknown } = {}) {
    super(`Rate limiter unavailable for ${limiterKey}: ${message}`, {
      code: 'RATE_LIMITER_UNAVAILABLE',
      cause: options.cause,
    });
    this.limiterKey = limiterKey;
  }
  override name = 'RateLimiterUnavailableError' as const;
}

/**
 * The API asked for a pause longer than the run may wait (a daily quota spent, `Retry-After:
 * 3600`): the run stops cleanly, its stored pages and checkpoint kept, to be resumed once
 * `resumeAt` has passed. Not a failure: `capital run` exits 75 (EX_TEMPFAIL) and a worker delays
 * the job. It carries times only, never what the API answered beyond its status.
 */
export class RunDeferredError extends CapitalError {
  /** When the API said requests may start again, in ms since the epoch. */
  readonly resumeAt: number;
  /** The pause asked for, in ms (capped, see `deferralOf`). */
  readonly waitMs: number;
  /** The task whose answer asked for the pause, when one did (a limiter's pause names none). */
  readonly taskKey: string | undefined;
  constructor(options: {
    readonly resumeAt: number;
    readonly waitMs: number;
    readonly label?: TaskLabel | undefined;
    readonly cause?: unknown;
  }) {
    const who = options.label ? `${describeTask(options.label)}: the` : 'The';
    super(
      `${who} API asked to pause for ${formatPause(options.waitMs)}, beyond the deferral threshold: ` +
        `the run is deferred until ${new Date(options.resumeAt).toISOString()}.`,
      { code: 'RUN_DEFERRED', cause: options.cause },
    );
    this.resumeAt = options.resumeAt;
    this.waitMs = options.waitMs;
    this.taskKey = options.label?.taskKey;
  }
  override name = 'RunDeferredError' as const;
}

/** Whether a value is a {@link RunDeferredError}, also from another copy of this package. */
export function isRunDeferred(value: unknown): value is RunDeferredError {
  return (
    isCapitalError(value) &&
    value.code === 'RUN_DEFERRED' &&
    typeof (value as { resumeAt?: unknown }).resumeAt === 'number'
  );
}

/** A pause in words: `45 s`, `12 min 5 s`, `3 h 0 min`. */
export function formatPause(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/** Names a task in a message: `task 1f3a9c0d2b7e (wtd.stock_search page 3)`. */
export function describeTask(label: TaskLabel): string {
  const details = [label.type, label.page === undefined ? undefined : `page ${label.page}`].filter(Boolean);
  return `Task ${label.taskKey.slice(0, 12)}${details.length > 0 ? ` (${details.join(' ')})` : ''}`;
}

/** What was thrown, without its content: a thrown string may hold a secret. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object of type ${value.constructor?.name ?? 'Object'}`;
  return `a ${typeof value}`;
}

/** Turns anything thrown into an Error, keeping Errors as they are. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new NonErrorThrownError(value);
}
