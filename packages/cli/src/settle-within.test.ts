import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settleWithin } from './settle-within.js';

describe('settleWithin', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves true when the step finishes in time', async () => {
    const warnings: string[] = [];
    const done = settleWithin(
      'closing',
      () => Promise.resolve('ok'),
      1000,
      (m) => warnings.push(m),
    );
    await expect(done).resolves.toBe(true);
    expect(warnings).toEqual([]);
  });

  it('gives up on a step that never settles after the bound, and warns', async () => {
    const warnings: string[] = [];
    const done = settleWithin(
      'closing Redis',
      () => new Promise(() => {}),
      1000,
      (m) => warnings.push(m),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(warnings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toBe(false);
    expect(warnings).toEqual(['closing Redis took longer than 1000 ms; going on without it.']);
  });

  it('never throws: a failing step (even one that throws at once) is warned about', async () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    await expect(settleWithin('a', () => Promise.reject(new Error('boom')), 1000, warn)).resolves.toBe(false);
    await expect(
      settleWithin(
        'b',
        () => {
          throw new Error('sync');
        },
        1000,
        warn,
      ),
    ).resolves.toBe(false);
    expect(warnings).toEqual(['a failed: boom', 'b failed: sync']);
  });

  it('takes a step that is undefined (nothing to close)', async () => {
    await expect(
      settleWithin(
        'nothing',
        () => undefined,
        1000,
        () => {},
      ),
    ).resolves.toBe(true);
  });
});
