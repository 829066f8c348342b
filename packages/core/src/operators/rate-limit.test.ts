import { firstValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RateLimiter, Reservation } from '../limit/rate-limiter.js';
import { rateLimit } from './rate-limit.js';

/** A limiter whose reservations arrive when the test says, like a remote store's. */
function deferredLimiter(waitMs: number) {
  const released: string[] = [];
  let answer: (reservation: Reservation) => void = () => {};
  const limiter: RateLimiter = {
    reserve: (key) =>
      new Promise<Reservation>((resolve) => {
        answer = resolve;
      }).then((reservation) => ({ ...reservation, key: typeof key === 'string' ? key : '' })),
    acquire: () => Promise.reject(new Error('not used')),
    pause: () => {},
    close: async () => {},
  };
  const arrive = () =>
    answer({
      key: '',
      waitMs,
      grantAt: waitMs,
      release: async () => {
        released.push('released');
      },
    });
  return { limiter, arrive, released };
}

describe('rateLimit with a remote limiter', () => {
  it('gives a permit back that arrives after the value was unsubscribed from', async () => {
    const { limiter, arrive, released } = deferredLimiter(50);
    const subscription = of('a')
      .pipe(rateLimit({ limiter, key: 'k' }))
      .subscribe();
    subscription.unsubscribe();
    arrive();
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toEqual(['released']);
  });

  it('emits the value once the reservation arrives with no wait', async () => {
    const { limiter, arrive, released } = deferredLimiter(0);
    const value = firstValueFrom(of('a').pipe(rateLimit({ limiter, key: 'k' })));
    arrive();
    expect(await value).toBe('a');
    expect(released).toEqual([]);
  });
});
