import { describe, expect, it } from 'vitest';
import type { Reservation } from '../../src/limit/rate-limiter.js';
import { randomPrefix } from './fixtures/redis-keyspace.js';
import { useRedisLimiters } from './fixtures/redis-limiters.js';

let prefix: string;
/** `limiter()`: a limiter on this test's own prefix, closed after the test. */
const { limiter } = useRedisLimiters('2/1s', () => prefix);

/** Grants in order, each at least `intervalMs` after the one before (to the µs, as doubles in ms). */
function expectSpaced(grants: readonly number[], intervalMs: number): void {
  const sorted = [...grants].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) {
    expect((sorted[i] ?? 0) - (sorted[i - 1] ?? 0)).toBeGreaterThanOrEqual(intervalMs - 0.001);
  }
}

describe('RedisLimiter, permits already reserved', () => {
  it('holds back permits already waiting when the key is paused, then grants them a permit apart', async ({
    task,
  }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter();
    const first = await subject.acquire('k');
    // Reserved at 500, 1000 and 1500 ms; the pause, sent after them, says "nothing for 1.2 s".
    const waiting = [1, 2, 3].map(() => subject.acquire('k'));
    await subject.pause('k', 1200);
    const granted = await Promise.all(waiting);
    for (const permit of granted) expect(permit.grantAt).toBeGreaterThanOrEqual(first.grantAt + 1200);
    expectSpaced([first.grantAt, ...granted.map((permit) => permit.grantAt)], 500);
  });

  it('holds back permits waiting here when another process paused the key and a later reply says so', async ({
    task,
  }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter();
    const other = limiter();
    const first = await subject.acquire('k');
    const waiting = [1, 2].map(() => subject.acquire('k'));
    await other.pause('k', 1200);
    // Any reply on the key tells this process of the pause; this permit lies after it anyway.
    const after = await subject.reserve('k');
    expect(after.grantAt).toBeGreaterThanOrEqual(first.grantAt + 1200);
    await after.release();
    const granted = await Promise.all(waiting);
    for (const permit of granted) expect(permit.grantAt).toBeGreaterThanOrEqual(first.grantAt + 1200);
    expectSpaced([first.grantAt, ...granted.map((permit) => permit.grantAt)], 500);
  });

  it('gives back every waiting reservation released together, oldest first', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '1/1s' });
    const first = await subject.reserve('k');
    const waiting: Reservation[] = [];
    for (let i = 0; i < 4; i++) waiting.push(await subject.reserve('k'));
    await Promise.all(waiting.map((reservation) => reservation.release()));
    expect((await subject.reserve('k')).grantAt).toBeCloseTo(first.grantAt + 1000, 6);
  });

  it('gives a permit back once only, so a second release cannot give away the next holder’s', async ({
    task,
  }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '10/1s' });
    await subject.reserve('k');
    const released = await subject.reserve('k');
    await released.release();
    const next = await subject.reserve('k');
    await released.release();
    expect((await subject.reserve('k')).grantAt).toBeCloseTo(next.grantAt + 100, 6);
  });

  it('does not shorten a pause by giving permits back', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '10/1s' });
    const first = await subject.reserve('k');
    const waiting: Reservation[] = [];
    for (let i = 0; i < 4; i++) waiting.push(await subject.reserve('k'));
    // The permits run to 500 ms, past the pause: given back, they bring the tat down to the pause only.
    await subject.pause('k', 300);
    await Promise.all(waiting.reverse().map((reservation) => reservation.release()));
    expect((await subject.reserve('k')).grantAt).toBeGreaterThanOrEqual(first.grantAt + 300);
  });
});
