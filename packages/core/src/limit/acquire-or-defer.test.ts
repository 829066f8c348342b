import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunDeferredError } from '../errors.js';
import { acquireOrDefer } from './acquire-or-defer.js';
import { MemoryLimiter } from './memory-limiter.js';

const now = Date.UTC(2026, 10, 29, 16, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ now });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('acquireOrDefer', () => {
  it('grants a permit the key holds at once', async () => {
    const limiter = new MemoryLimiter({ rate: '1/1s' });
    await expect(acquireOrDefer(limiter, 'k', { deferAfterMs: 1000 })).resolves.toMatchObject({ waitMs: 0 });
  });

  it('defers, giving the permit back, when a pause of the key outlasts the threshold', async () => {
    const limiter = new MemoryLimiter({ rate: '1/1s' });
    limiter.pause('k', 3_600_000);
    const deferred = await acquireOrDefer(limiter, 'k', { deferAfterMs: 300_000 }).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(RunDeferredError);
    expect((deferred as RunDeferredError).resumeAt).toBeGreaterThanOrEqual(now + 3_600_000);
    // Given back: the next permit is still the first after the pause, not the second.
    expect(limiter.reserve('k').waitMs).toBe((deferred as RunDeferredError).waitMs);
  });

  it('waits out a pause no longer than the threshold', async () => {
    const limiter = new MemoryLimiter({ rate: '1/1s' });
    limiter.pause('k', 2000);
    const acquired = acquireOrDefer(limiter, 'k', { deferAfterMs: 5000 });
    await vi.advanceTimersByTimeAsync(2000);
    await expect(acquired).resolves.toMatchObject({ key: 'k' });
  });

  it('waits out a wait the rate alone sets, however long', async () => {
    const limiter = new MemoryLimiter({ rate: '1/1h' });
    await acquireOrDefer(limiter, 'k', { deferAfterMs: 1000 });
    let granted = false;
    const second = acquireOrDefer(limiter, 'k', { deferAfterMs: 1000 }).then(() => {
      granted = true;
    });
    await vi.advanceTimersByTimeAsync(3_599_000);
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    await second;
    expect(granted).toBe(true);
  });
});
