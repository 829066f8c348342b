import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { MemoryLimiter } from './memory-limiter.js';
import type { Reservation } from './rate-limiter.js';

/** A limiter on virtual time, and a way to move that time forward. */
function virtualLimiter(rate = '10/1s') {
  const scheduler = new VirtualTimeScheduler();
  const limiter = new MemoryLimiter({ rate, scheduler });
  /** Runs every timer due by `frame`, then lets settled promises run their callbacks. */
  const advanceTo = async (frame: number): Promise<void> => {
    scheduler.maxFrames = frame;
    scheduler.flush();
    scheduler.frame = frame;
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { scheduler, limiter, advanceTo };
}

/** Tracks when a promise settles, to look at it between steps of virtual time. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('MemoryLimiter', () => {
  it('reserves synchronously, at the scheduler time', () => {
    const { scheduler, limiter } = virtualLimiter();
    scheduler.frame = 1234;
    const reservation = limiter.reserve('k') as Reservation;
    expect(reservation).toMatchObject({ key: 'k', grantAt: 1234, waitMs: 0 });
  });

  it('spaces permits on a key by the interval and keeps keys apart', () => {
    const { limiter } = virtualLimiter();
    const waits = [1, 2, 3].map(() => (limiter.reserve('a') as Reservation).waitMs);
    expect(waits).toEqual([0, 100, 200]);
    expect((limiter.reserve('b') as Reservation).waitMs).toBe(0);
  });

  it('resolves acquire after exactly the wait, on virtual time', async () => {
    const { limiter, advanceTo } = virtualLimiter();
    const first = track(limiter.acquire('k'));
    const second = track(limiter.acquire('k'));
    await advanceTo(0);
    expect([first.settled, second.settled]).toEqual([true, false]);
    await advanceTo(99);
    expect(second.settled).toBe(false);
    await advanceTo(100);
    expect(second).toMatchObject({ settled: true, value: { grantAt: 100, waitMs: 100 } });
  });

  it('rejects an aborted acquire with the reason and gives its permit back', async () => {
    const { limiter, advanceTo } = virtualLimiter();
    limiter.reserve('k');
    const controller = new AbortController();
    const waiting = track(limiter.acquire('k', controller.signal));
    await advanceTo(50);
    controller.abort(new Error('stop'));
    await advanceTo(50);
    expect(waiting).toMatchObject({ settled: true, error: new Error('stop') });
    expect((limiter.reserve('k') as Reservation).grantAt).toBe(100);
  });

  it('rejects at once when the signal is already aborted, reserving nothing', async () => {
    const { limiter } = virtualLimiter();
    await expect(limiter.acquire('k', AbortSignal.abort(new Error('no')))).rejects.toThrow('no');
    expect((limiter.reserve('k') as Reservation).waitMs).toBe(0);
  });

  it('gives back the newest reservation', async () => {
    const { limiter } = virtualLimiter();
    limiter.reserve('k');
    const newest = limiter.reserve('k') as Reservation;
    await newest.release();
    expect((limiter.reserve('k') as Reservation).grantAt).toBe(100);
  });

  it('keeps an older reservation, which has later permits behind it', async () => {
    const { limiter } = virtualLimiter();
    limiter.reserve('k');
    const older = limiter.reserve('k') as Reservation;
    limiter.reserve('k');
    await older.release();
    expect((limiter.reserve('k') as Reservation).grantAt).toBe(300);
  });

  it("gives a permit back once only, so a second release cannot give away the next holder's", async () => {
    const { limiter } = virtualLimiter();
    limiter.reserve('k');
    const first = limiter.reserve('k') as Reservation;
    await first.release();
    const second = limiter.reserve('k') as Reservation;
    await first.release();
    expect(second.grantAt).toBe(100);
    expect((limiter.reserve('k') as Reservation).grantAt).toBe(200);
  });

  it('gives back every waiting reservation released together, oldest first', async () => {
    const { limiter } = virtualLimiter();
    limiter.reserve('k');
    const waiting = [1, 2, 3, 4].map(() => limiter.reserve('k') as Reservation);
    for (const reservation of waiting) await reservation.release();
    expect((limiter.reserve('k') as Reservation).grantAt).toBe(100);
  });

  it('does not shorten a pause by giving permits back', async () => {
    const { limiter } = virtualLimiter();
    limiter.reserve('k');
    const waiting = [1, 2, 3, 4].map(() => limiter.reserve('k') as Reservation);
    limiter.pause('k', 300);
    for (const reservation of waiting.reverse()) await reservation.release();
    expect((limiter.reserve('k') as Reservation).grantAt).toBe(300);
  });

  it('holds back an acquire already waiting when the key is paused, until the pause ends', async () => {
    const { limiter, advanceTo } = virtualLimiter();
    await limiter.acquire('k');
    const waiting = track(limiter.acquire('k'));
    await advanceTo(50);
    limiter.pause('k', 1000);
    await advanceTo(1049);
    expect(waiting.settled).toBe(false);
    await advanceTo(1050);
    expect(waiting).toMatchObject({ settled: true, value: { grantAt: 1050 } });
    expect((limiter.reserve('k') as Reservation).grantAt).toBe(1150);
  });

  it('lets a permit reserved after the pause through at its time', () => {
    const { scheduler, limiter } = virtualLimiter();
    limiter.pause('k', 300);
    const reservation = limiter.reserve('k') as Reservation;
    scheduler.frame = reservation.grantAt;
    expect(reservation.recheck?.()).toBeUndefined();
  });

  it('pauses a key: nothing is granted before the pause ends', () => {
    const { scheduler, limiter } = virtualLimiter();
    scheduler.frame = 1000;
    limiter.pause('k', 3000);
    expect(limiter.reserve('k')).toMatchObject({ grantAt: 4000, waitMs: 3000 });
    expect((limiter.reserve('other') as Reservation).waitMs).toBe(0);
  });

  it('forgets idle keys without changing what it grants', () => {
    const { scheduler, limiter } = virtualLimiter();
    for (let i = 0; i < 1100; i++) limiter.reserve(`key-${i}`);
    scheduler.frame = 10_000;
    expect(limiter.reserve('key-1')).toMatchObject({ grantAt: 10_000, waitMs: 0 });
  });

  it('forgets everything on close', async () => {
    const { limiter } = virtualLimiter();
    limiter.reserve('k');
    await limiter.close();
    expect((limiter.reserve('k') as Reservation).waitMs).toBe(0);
  });

  it('takes a Rate object and rejects an invalid one', () => {
    expect(new MemoryLimiter({ rate: { limit: 2, periodMs: 10, burst: 2 } }).rate.burst).toBe(2);
    expect(() => new MemoryLimiter({ rate: { limit: 2, periodMs: 10, burst: 3 } })).toThrow(
      InvalidOptionError,
    );
    expect(() => new MemoryLimiter({ rate: '2 per second' })).toThrow(InvalidOptionError);
  });
});
