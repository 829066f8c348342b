import {
  createCredentialResolver,
  HttpStatusError,
  NonRetryableError,
  retryAfterOf,
  TaskFailedError,
  TransientError,
} from '@capital/core';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { attemptError, unrecoverable } from './attempt-error.js';

const label = { taskKey: 'a1b2c3d4e5f6a7b8c9d0', type: 'wtd.stock_search', page: 3 };
const at = (attempt: number) => ({ label, attempt, attempts: 6, maxRetryAfterMs: 60_000 });

describe('attemptError', () => {
  it('turns a transient failure with attempts left into a retryable error that names the task', () => {
    const error = attemptError(new HttpStatusError(503, 'Service Unavailable'), at(2));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(
      'Task a1b2c3d4e5f6 (wtd.stock_search page 3): attempt 2 of 6 failed: HTTP 503: Service Unavailable',
    );
  });

  it('keeps the Retry-After of a 429 for the backoff strategy', () => {
    const error = attemptError(new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 1200 }), at(1));
    expect(retryAfterOf(error)).toBe(1200);
  });

  it('fails the task on its last attempt with a TaskFailedError, which BullMQ does not retry', () => {
    const error = attemptError(new TransientError('timeout'), at(6));
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe(
      'Task a1b2c3d4e5f6 (wtd.stock_search page 3) failed after 6 attempts: timeout',
    );
  });

  it('fails a permanent failure at once, as an UnrecoverableError whose cause is the TaskFailedError', () => {
    const error = attemptError(new HttpStatusError(401, 'Invalid API token.'), at(1));
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe(
      'Task a1b2c3d4e5f6 (wtd.stock_search page 3) failed after 1 attempt: HTTP 401: Invalid API token.',
    );
    expect(error.cause).toBeInstanceOf(TaskFailedError);
  });

  it('fails at once when told not to retry', () => {
    expect(attemptError(new NonRetryableError('no'), at(1))).toBeInstanceOf(UnrecoverableError);
  });

  it('fails at once when the API asks to wait longer than allowed', () => {
    const error = attemptError(
      new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 3_600_000 }),
      at(1),
    );
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toContain('the API asked to wait 3600 s, beyond the 60 s allowed');
  });

  it('wraps what is not an Error without showing its content', () => {
    const error = attemptError('token=s3cret', at(1));
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).not.toContain('s3cret');
  });

  it('takes every handed-out secret out of what BullMQ stores: message, stack and causes, on every path', () => {
    const token = 'worker s3cret/+tok';
    createCredentialResolver({ API_TOKEN: token })('env:API_TOKEN');
    const echoed = () => new Error(`Unknown api_token ${token} (${new URLSearchParams({ t: token })})`);
    const errors = [
      attemptError(new TransientError('flaky', { cause: echoed() }), at(1)),
      attemptError(echoed(), at(1)),
      attemptError(new TransientError(echoed().message), at(6)),
      unrecoverable(echoed()),
    ];

    for (const error of errors) {
      const stored: string[] = [];
      for (let current: unknown = error; current instanceof Error; current = current.cause) {
        stored.push(current.message, current.stack ?? '');
      }
      expect(stored.join('\n')).toContain('[redacted]');
      for (const spelling of [
        token,
        encodeURIComponent(token),
        new URLSearchParams({ t: token }).toString(),
      ]) {
        expect(stored.join('\n')).not.toContain(spelling.replace(/^t=/, ''));
      }
    }
  });
});
