import { resolveRetryPolicy } from '@capital/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PostgresSinkError, retriesSpentError, toPostgresSinkError } from './postgres-sink-error.js';
import { type RetryWithinBudgetOptions, retryWithinBudget } from './retry-within-budget.js';

const location = 'postgres://127.0.0.1:5432/test public.t';
const startingUp = () => Object.assign(new Error('the database system is starting up'), { code: '57P03' });
const policy = resolveRetryPolicy({ minTimeoutMs: 250, maxTimeoutMs: 2000, randomize: false });

function options(overrides: Partial<RetryWithinBudgetOptions> = {}): RetryWithinBudgetOptions {
  return {
    budgetMs: 30_000,
    maxRetries: Number.POSITIVE_INFINITY,
    policy,
    signal: new AbortController().signal,
    giveUp: (last, attempts, elapsedMs) => retriesSpentError(last, attempts, elapsedMs, location),
    now: () => Date.now(),
    ...overrides,
  };
}

/** An operation that fails with `failure()` (made a sink error, as the sink does) until `until`. */
function failingUntil(until: number, failure: () => Error = startingUp) {
  const calls: number[] = [];
  const operation = async () => {
    calls.push(Date.now());
    if (Date.now() < until) throw toPostgresSinkError(failure(), 'connect', location);
    return 'stored';
  };
  return { operation, calls };
}

describe('retryWithinBudget', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps retrying a server that is starting up for as long as the budget allows: 20 s of 57P03', async () => {
    const { operation, calls } = failingUntil(20_000);
    const result = retryWithinBudget(operation, options());
    await vi.advanceTimersByTimeAsync(25_000);
    await expect(result).resolves.toBe('stored');
    // Far more than the two retries that used to give up within a second.
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.at(-1)).toBeGreaterThanOrEqual(20_000);
    // The backoff grows to maxTimeoutMs and stays there.
    expect((calls.at(-1) ?? 0) - (calls.at(-2) ?? 0)).toBeLessThanOrEqual(2000);
  });

  it('gives up once the budget is spent, saying how long it tried, with the last failure as cause', async () => {
    const { operation, calls } = failingUntil(Number.POSITIVE_INFINITY);
    const result = retryWithinBudget(operation, options({ budgetMs: 10_000 })).catch(
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await result;
    expect(error).toBeInstanceOf(PostgresSinkError);
    expect(error).toMatchObject({
      code: 'POSTGRES_UNREACHABLE',
      sqlState: '57P03',
      retryable: false,
      attempts: calls.length,
      retriedForMs: 10_000,
    });
    expect((error as Error).message).toContain('the database system is starting up');
    expect((error as Error).message).toContain(`gave up after ${calls.length} attempts in 10.0 s`);
    // The last attempt starts when the budget runs out, not a backoff later.
    expect(calls.at(-1)).toBe(10_000);
  });

  it('fails at once on what is not transient', async () => {
    const denied = new PostgresSinkError('POSTGRES_PERMISSION_DENIED', 'permission denied', {
      location,
      retryable: false,
    });
    const operation = vi.fn(async () => {
      throw denied;
    });
    await expect(retryWithinBudget(operation, options())).rejects.toBe(denied);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('stops at maxRetries when they run out before the budget, and fails at once with none', async () => {
    const capped = failingUntil(Number.POSITIVE_INFINITY);
    const result = retryWithinBudget(capped.operation, options({ maxRetries: 2 })).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await result).toMatchObject({ code: 'POSTGRES_UNREACHABLE', retryable: true });
    expect(capped.calls).toHaveLength(3);

    const none = failingUntil(Number.POSITIVE_INFINITY);
    await expect(retryWithinBudget(none.operation, options({ maxRetries: 0 }))).rejects.toMatchObject({
      retryable: true,
    });
    expect(none.calls).toHaveLength(1);
  });

  it('rejects with the signal reason when aborted between attempts, and tries no more', async () => {
    const controller = new AbortController();
    const { operation, calls } = failingUntil(Number.POSITIVE_INFINITY);
    const result = retryWithinBudget(operation, options({ signal: controller.signal })).catch(
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(100);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await result).toBe(reason);
    const attempts = calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(attempts);
  });
});
