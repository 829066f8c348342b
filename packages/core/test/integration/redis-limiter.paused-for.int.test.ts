import { describe, expect, it } from 'vitest';
import { randomPrefix } from './fixtures/redis-keyspace.js';
import { useRedisLimiters } from './fixtures/redis-limiters.js';

let prefix: string;
const { limiter } = useRedisLimiters('9/1s', () => prefix);

describe('RedisLimiter, how long a pause holds a permit back', () => {
  it('tells a permit that another process’s pause holds back, so that a long one can defer the run', async ({
    task,
  }) => {
    prefix = randomPrefix(task.name);
    await limiter().pause('k', 3_600_000);
    const held = await limiter().reserve('k');
    expect(held.pausedForMs).toBeGreaterThan(3_590_000);
    expect(held.pausedForMs).toBeLessThanOrEqual(3_600_000);
    expect(held.waitMs).toBeGreaterThanOrEqual(held.pausedForMs ?? 0);
    await held.release();
  });

  it('says 0 for a permit the rate alone sets, of a single key or of layers', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter();
    await subject.reserve('k');
    expect((await subject.reserve('k')).pausedForMs).toBe(0);
    expect((await subject.reserve([{ key: 'account' }, { key: 'endpoint', rate: '2/1s' }])).pausedForMs).toBe(
      0,
    );
  });

  it('tells the longest pause among a layered key’s layers', async ({ task }) => {
    prefix = randomPrefix(task.name);
    await limiter().pause('endpoint', 600_000);
    const held = await limiter().reserve([{ key: 'account' }, { key: 'endpoint', rate: '2/1s' }]);
    expect(held.pausedForMs).toBeGreaterThan(590_000);
    await held.release();
  });
});
