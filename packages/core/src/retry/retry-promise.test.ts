import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpStatusError, NonErrorThrownError, NonRetryableError, TransientError } from '../errors.js';
import { retryPromise } from './retry-promise.js';

/** An operation that fails with `failures` in turn, then resolves with `'done'`. */
function failingWith(...failures: unknown[]) {
  return vi.fn(async (attempt: number) => {
    if (attempt <= failures.length) throw failures[attempt - 1];
    return 'done';
  });
}

// minTimeoutMs 0: p-retry then waits no time at all between attempts, so no timer runs.
const immediate = { minTimeoutMs: 0, randomize: false } as const;

afterEach(() => {
  vi.useRealTimers();
});

describe('retryPromise', () => {
  it('resolves with what the first successful attempt resolves to', async () => {
    const operation = failingWith();

    await expect(retryPromise(operation, immediate)).resolves.toBe('done');
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('retries transient failures, numbering the attempts from 1', async () => {
    const operation = failingWith(new TransientError('a'), new HttpStatusError(503, 'b'));

    await expect(retryPromise(operation, { ...immediate, retries: 2 })).resolves.toBe('done');
    expect(operation.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
  });

  it('retries an error that says retryable: true', async () => {
    const operation = failingWith(Object.assign(new Error('busy'), { retryable: true }));

    await expect(retryPromise(operation, { ...immediate, retries: 1 })).resolves.toBe('done');
  });

  it('retries a fetch network failure', async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const operation = failingWith(new TypeError('fetch failed', { cause: reset }));

    await expect(retryPromise(operation, { ...immediate, retries: 1 })).resolves.toBe('done');
  });

  it('rejects with the last error once the retries are used up', async () => {
    const last = new TransientError('third');
    const operation = failingWith(new TransientError('first'), new TransientError('second'), last);

    await expect(retryPromise(operation, { ...immediate, retries: 2 })).rejects.toBe(last);
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it('rejects with a permanent error itself, at once', async () => {
    const notFound = new HttpStatusError(404, 'Not Found');
    const operation = failingWith(notFound);

    await expect(retryPromise(operation, { ...immediate, retries: 5 })).rejects.toBe(notFound);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('does not retry a NonRetryableError, even around a transient cause', async () => {
    const stop = new NonRetryableError('stop', { cause: new TransientError('busy') });
    const operation = failingWith(stop);

    await expect(retryPromise(operation, { ...immediate, retries: 5 })).rejects.toBe(stop);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('rejects with a NonErrorThrownError when the operation throws something that is not an Error', async () => {
    const rejection = retryPromise(failingWith('boom'), { ...immediate, retries: 5 });

    await expect(rejection).rejects.toBeInstanceOf(NonErrorThrownError);
    await expect(rejection).rejects.toHaveProperty('value', 'boom');
  });

  it('reports each failure that will be retried, and not the last', async () => {
    const first = new TransientError('first');
    const second = new TransientError('second');
    const onRetry = vi.fn();

    await expect(
      retryPromise(failingWith(first, second, new TransientError('third')), {
        ...immediate,
        retries: 2,
        onRetry,
      }),
    ).rejects.toThrow('third');
    expect(onRetry.mock.calls).toEqual([
      [first, 1],
      [second, 2],
    ]);
  });

  it('waits out a Retry-After in full before the next attempt', async () => {
    vi.useFakeTimers();
    const operation = failingWith(new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 5000 }));
    const result = retryPromise(operation, { ...immediate, retries: 1 });

    await vi.advanceTimersByTimeAsync(4999);
    expect(operation).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(operation).toHaveBeenCalledTimes(2);
    await expect(result).resolves.toBe('done');
  });

  it('rejects with the signal’s reason when aborted during a Retry-After', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const operation = failingWith(new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 60_000 }));
    const result = retryPromise(operation, { ...immediate, retries: 1, signal: controller.signal });
    const settled = expect(result).rejects.toBe(reason);

    await vi.advanceTimersByTimeAsync(1000);
    controller.abort(reason);
    await settled;
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('does not start when the signal is aborted already', async () => {
    const reason = new Error('shutting down');
    const operation = failingWith();

    await expect(retryPromise(operation, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(operation).not.toHaveBeenCalled();
  });
});
