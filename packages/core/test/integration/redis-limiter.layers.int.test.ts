import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireSendPermit } from '../../src/http/acquire-send-permit.js';
import type { LimiterLayer } from '../../src/limit/limiter-layers.js';
import { RedisLimiter } from '../../src/limit/redis-limiter.js';
import { deleteKeys, randomPrefix, redisUrl } from './fixtures/redis-keyspace.js';

// Layered keys on a real Redis: two limiters on connections of their own stand for two
// processes. Long intervals, so that a slow round trip on a busy machine never changes a grant.

let admin: Redis;
let prefix: string;
const limiters: RedisLimiter[] = [];

function process(): RedisLimiter {
  const created = new RedisLimiter({ redis: redisUrl, rate: '1/10s', prefix });
  limiters.push(created);
  return created;
}

/** An account at the limiter's 1/10s and one endpoint at 1/40s. */
const layers = (endpoint: string): LimiterLayer[] => [
  { key: 'acct', name: 'account' },
  { key: `acct:${endpoint}`, rate: '1/40s', name: 'endpoint' },
];

beforeAll(() => {
  admin = new Redis(redisUrl);
});
afterAll(async () => {
  await admin.quit();
});
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((created) => created.close()));
  await deleteKeys(admin, prefix);
});

describe('RedisLimiter with layered keys', () => {
  it('shares every layer between processes, one round trip per grant', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const [first, second] = [process(), process()];
    const a1 = await first.reserve(layers('a'));
    const b1 = await second.reserve(layers('b'));
    const a2 = await second.reserve(layers('a'));
    const b2 = await first.reserve(layers('b'));
    const start = a1.grantAt;
    // The account spaces grants 10 s apart; a's second waits for its endpoint's 40 s, and the
    // account is charged from that grant, so b's second comes 10 s after it.
    expect([b1.grantAt - start, a2.grantAt - start, b2.grantAt - start]).toEqual([10_000, 40_000, 50_000]);
    for (const limiter of [first, second]) {
      const { reservations, roundTrips } = limiter.stats();
      expect(roundTrips).toBe(reservations);
    }
  });

  it('renews a late permit of a layered key from every layer in one round trip', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const limiter = new RedisLimiter({ redis: redisUrl, rate: '50/1s', prefix });
    limiters.push(limiter);
    const key: LimiterLayer[] = [{ key: 'acct' }, { key: 'acct:charges', rate: '25/1s' }];
    const { permit } = await acquireSendPermit(limiter, key);
    // Half the interval of the fastest rate: 10 ms at 50/s.
    expect(permit.maxDelayMs).toBe(10);
    const before = limiter.stats().roundTrips;
    const tats = async () => [await admin.get(`${prefix}acct`), await admin.get(`${prefix}acct:charges`)];
    const [account, endpoint] = await tats();
    permit.sent(1);
    await permit.renew();
    expect(limiter.stats().roundTrips - before).toBe(1);
    const [accountAfter, endpointAfter] = await tats();
    // Both layers charged for the new permit: each tat moved on.
    expect(Number(accountAfter)).toBeGreaterThan(Number(account));
    expect(Number(endpointAfter)).toBeGreaterThan(Number(endpoint));
    expect(permit.used).toBe(false);
  });

  it('holds a waiting permit of another process back when one of its layers is paused', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const [first, second] = [process(), process()];
    await first.reserve(layers('a'));
    const waiting = await first.reserve(layers('a'));
    await second.pause('acct:a', 60_000);
    // The first process learns of the pause from its next reply on the key.
    await first.reserve(layers('a'));
    const replacement = await waiting.recheck?.();
    expect(replacement).toBeDefined();
    // waiting was due 40 s after the first grant; the pause ends 60 s after it began.
    expect((replacement?.grantAt ?? 0) - waiting.grantAt).toBeGreaterThan(15_000);
  });
});
