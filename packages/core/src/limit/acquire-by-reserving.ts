import type { Reservation } from './rate-limiter.js';

/** Waits `ms`, or rejects with the signal's reason; returns a cancel function. */
export type Sleep = (ms: number, signal: AbortSignal | undefined) => Promise<void>;

/** `setTimeout` as a {@link Sleep}. */
export const sleepWithTimers: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * `acquire` for any limiter that can `reserve`: one reservation, one sleep of exactly its wait,
 * and the permit released when the signal aborts before it is granted. A permit voided by a
 * pause while it waited (see `Reservation.recheck`) is replaced, and the wait starts over.
 */
export async function acquireByReserving(
  reservation: Reservation | Promise<Reservation>,
  signal: AbortSignal | undefined,
  sleep: Sleep,
): Promise<Reservation> {
  signal?.throwIfAborted();
  let granted = await reservation;
  for (;;) {
    if (granted.waitMs > 0) {
      try {
        await sleep(granted.waitMs, signal);
      } catch (error) {
        await granted.release();
        throw error;
      }
    }
    const replacement = granted.recheck?.();
    if (replacement === undefined) return granted;
    granted = await replacement;
  }
}
