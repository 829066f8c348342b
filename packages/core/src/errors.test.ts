import { describe, expect, it } from 'vitest';
import {
  CapitalError,
  describeTask,
  HttpStatusError,
  InvalidOptionError,
  InvalidResponseError,
  InvalidTaskError,
  InvalidTaskResultError,
  isCapitalError,
  isTransientStatus,
  MaxDepthExceededError,
  NonErrorThrownError,
  NonRetryableError,
  RateLimiterUnavailableError,
  TaskCycleError,
  TaskFailedError,
  TransientError,
  toError,
} from './errors.js';
import { labelTask } from './task.js';

const task = { type: 'wtd.stock_search', page: 3, credentials: 'env:WTD_API_TOKEN' };
const next = { type: 'wtd.stock_search', page: 4, credentials: 'env:WTD_API_TOKEN' };
const label = labelTask(task);
const nextLabel = labelTask(next);

describe('error classes', () => {
  it.each([
    [new InvalidTaskError('m'), 'InvalidTaskError', 'INVALID_TASK', false],
    [new InvalidOptionError('concurrency', 'm'), 'InvalidOptionError', 'INVALID_OPTION', false],
    [new TransientError('m'), 'TransientError', 'TRANSIENT', true],
    [new HttpStatusError(503, 'm'), 'HttpStatusError', 'HTTP_STATUS', true],
    [new HttpStatusError(404, 'm'), 'HttpStatusError', 'HTTP_STATUS', false],
    [new InvalidResponseError('m', { retryable: true }), 'InvalidResponseError', 'INVALID_RESPONSE', true],
    [new NonRetryableError('m'), 'NonRetryableError', 'NON_RETRYABLE', false],
    [new NonErrorThrownError('m'), 'NonErrorThrownError', 'NON_ERROR_THROWN', false],
    [new TaskFailedError(label, 1, new Error('m')), 'TaskFailedError', 'TASK_FAILED', false],
    [new TaskCycleError(label, nextLabel), 'TaskCycleError', 'TASK_CYCLE', false],
    [new MaxDepthExceededError(label, 5), 'MaxDepthExceededError', 'MAX_DEPTH_EXCEEDED', false],
    [new InvalidTaskResultError(label, 'm'), 'InvalidTaskResultError', 'INVALID_TASK_RESULT', false],
    [
      new RateLimiterUnavailableError('wtd', 'm'),
      'RateLimiterUnavailableError',
      'RATE_LIMITER_UNAVAILABLE',
      true,
    ],
  ] as const)('%s has its name, code and retryability', (error, name, code, retryable) => {
    expect(error).toBeInstanceOf(CapitalError);
    expect(error).toBeInstanceOf(Error);
    expect(isCapitalError(error)).toBe(true);
    expect({ name: error.name, code: error.code, retryable: error.retryable }).toEqual({
      name,
      code,
      retryable,
    });
  });

  it('keeps the cause it is given', () => {
    const cause = new Error('socket hang up');

    expect(new TransientError('request failed', { cause }).cause).toBe(cause);
    expect(new TaskFailedError(label, 2, cause).cause).toBe(cause);
  });

  it('sets no cause when none is given', () => {
    expect('cause' in new TransientError('request failed')).toBe(false);
  });

  it('lets a TransientError carry its own code and a Retry-After', () => {
    const error = new TransientError('slow down', { code: 'RATE_LIMITED', retryAfterMs: 2000 });

    expect({ code: error.code, retryAfterMs: error.retryAfterMs }).toEqual({
      code: 'RATE_LIMITED',
      retryAfterMs: 2000,
    });
  });

  it('names the option in an InvalidOptionError', () => {
    const error = new InvalidOptionError('buffer', 'must be ≥ 0.');

    expect({ option: error.option, message: error.message }).toEqual({
      option: 'buffer',
      message: 'Invalid option buffer: must be ≥ 0.',
    });
  });

  it('keeps the HTTP status and Retry-After of an HttpStatusError', () => {
    const error = new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 1500 });

    expect({ status: error.status, retryAfterMs: error.retryAfterMs, message: error.message }).toEqual({
      status: 429,
      retryAfterMs: 1500,
      message: 'HTTP 429: Too Many Requests',
    });
  });
});

describe('isTransientStatus', () => {
  it.each([408, 429, 500, 502, 503, 504, 599])('says %i is worth retrying', (status) => {
    expect(isTransientStatus(status)).toBe(true);
  });

  it.each([200, 400, 401, 403, 404, 409, 422])('says %i is not worth retrying', (status) => {
    expect(isTransientStatus(status)).toBe(false);
  });
});

describe('isCapitalError', () => {
  it('accepts an object from another copy of the package that carries the brand', () => {
    const lookAlike = { [Symbol.for('capital.error')]: true, code: 'TRANSIENT', message: 'm' };

    expect(isCapitalError(lookAlike)).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('m')],
    ['an object with a code', { code: 'TRANSIENT' }],
    ['a string', 'TRANSIENT'],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s', (_, value) => {
    expect(isCapitalError(value)).toBe(false);
  });
});

describe('NonErrorThrownError', () => {
  it('keeps the value that was thrown', () => {
    const value = { status: 500 };

    expect(new NonErrorThrownError(value).value).toBe(value);
  });

  it.each([
    ['boom', 'a string of 4 characters'],
    [42, 'a number'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{ status: 500 }, 'an object of type Object'],
  ])('describes %j in its message', (value, description) => {
    expect(new NonErrorThrownError(value).message).toBe(
      `A handler threw a non-Error value (${description}); throw Error instances instead.`,
    );
  });

  it('never copies a thrown string into its message, since it may hold a secret', () => {
    expect(new NonErrorThrownError('token=s3cr3t').message).not.toContain('s3cr3t');
  });
});

describe('toError', () => {
  it('returns an Error as it is', () => {
    const error = new RangeError('m');

    expect(toError(error)).toBe(error);
  });

  it('wraps anything else in a NonErrorThrownError', () => {
    const error = toError('boom');

    expect(error).toBeInstanceOf(NonErrorThrownError);
    expect((error as NonErrorThrownError).value).toBe('boom');
  });
});

describe('messages that name a task', () => {
  const prefix = label.taskKey.slice(0, 12);

  it('describe a task by the first 12 characters of its key, its type and its page', () => {
    expect(describeTask(label)).toBe(`Task ${prefix} (wtd.stock_search page 3)`);
  });

  it('describe a task without type or page by its key alone', () => {
    expect(describeTask({ taskKey: label.taskKey })).toBe(`Task ${prefix}`);
  });

  it('say how many attempts a failed task took, and why it failed', () => {
    expect(new TaskFailedError(label, 1, new Error('HTTP 404')).message).toBe(
      `Task ${prefix} (wtd.stock_search page 3) failed after 1 attempt: HTTP 404`,
    );
    expect(new TaskFailedError(label, 3, new Error('HTTP 503')).message).toBe(
      `Task ${prefix} (wtd.stock_search page 3) failed after 3 attempts: HTTP 503`,
    );
  });

  it('keep the task key, page and attempts on a TaskFailedError', () => {
    const error = new TaskFailedError(label, 3, new Error('m'));

    expect({ taskKey: error.taskKey, page: error.page, attempts: error.attempts }).toEqual({
      taskKey: label.taskKey,
      page: 3,
      attempts: 3,
    });
  });

  it('name both tasks of a cycle', () => {
    const error = new TaskCycleError(label, nextLabel);

    expect(error.message).toContain(
      `Task ${prefix} (wtd.stock_search page 3) returned Task ${nextLabel.taskKey.slice(0, 12)}`,
    );
    expect({ taskKey: error.taskKey, nextTaskKey: error.nextTaskKey }).toEqual({
      taskKey: label.taskKey,
      nextTaskKey: nextLabel.taskKey,
    });
  });

  it('name the task and the limit when too deep', () => {
    const error = new MaxDepthExceededError(label, 5);

    expect(error.message).toMatch(
      new RegExp(`^Task ${prefix} \\(wtd\\.stock_search page 3\\) .*beyond maxDepth 5`),
    );
    expect(error.maxDepth).toBe(5);
  });

  it.each([
    ['TaskFailedError', new TaskFailedError(label, 2, new Error('HTTP 503'))],
    ['TaskCycleError', new TaskCycleError(label, nextLabel)],
    ['MaxDepthExceededError', new MaxDepthExceededError(label, 5)],
    ['InvalidTaskResultError', new InvalidTaskResultError(label, '`data` is not an array.')],
  ])('never hold the credentials of the task in a %s', (_, error) => {
    expect(error.message).not.toContain('env:');
    expect(error.message).not.toContain('WTD_API_TOKEN');
    expect(JSON.stringify({ ...error })).not.toContain('WTD_API_TOKEN');
  });
});
