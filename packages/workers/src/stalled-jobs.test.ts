import { describe, expect, it } from 'vitest';
import { isLockLapsing } from './stalled-jobs.js';

describe('isLockLapsing', () => {
  it('says a job whose lock key is gone is stalled', () => {
    expect(isLockLapsing(-2, 30_000)).toBe(true);
  });

  it('says a lock with less than a quarter of its duration left is lapsing', () => {
    expect(isLockLapsing(7_499, 30_000)).toBe(true);
    expect(isLockLapsing(0, 2_000)).toBe(true);
  });

  it('says a lock a live worker renews (at half its duration) is held', () => {
    expect(isLockLapsing(15_000, 30_000)).toBe(false);
    expect(isLockLapsing(7_500, 30_000)).toBe(false);
  });

  it('says a lock without expiry is held', () => {
    expect(isLockLapsing(-1, 30_000)).toBe(false);
  });
});
