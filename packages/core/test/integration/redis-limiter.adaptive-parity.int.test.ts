// One policy for a learnt rate, in one process or many: `MemoryLimiter`'s `adaptive` (a port of
// the scripts' arithmetic) and `RedisLimiter`'s, fed the same answers at the same times, learn
// the same rates and grant at the same times.
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryLimiter } from '../../src/limit/memory-limiter.js';
import { randomPrefix } from './fixtures/redis-keyspace.js';
import { useRedisLimiters } from './fixtures/redis-limiters.js';

let prefix: string;
const { limiter } = useRedisLimiters('1/1s', () => prefix);

type Step =
  | { readonly kind: 'reserve' }
  | { readonly kind: 'answer'; readonly status: number; readonly headers?: Record<string, string> }
  | { readonly kind: 'advance'; readonly ms: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'reserve' } as const) },
  { weight: 4, arbitrary: fc.constant({ kind: 'answer', status: 200 } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'answer', status: 429 } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'answer', status: 503 } as const) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        limit: fc.integer({ min: 1, max: 200 }),
        window: fc.integer({ min: 1, max: 60 }),
        throttled: fc.boolean(),
      })
      .map(({ limit, window, throttled }) => ({
        kind: 'answer' as const,
        status: throttled ? 429 : 200,
        headers: { 'ratelimit-policy': `"p";q=${limit};w=${window}` },
      })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 8000 }).map((ms) => ({ kind: 'advance', ms }) as const) },
);

describe('a learnt rate in memory and in Redis', () => {
  it('moves the same way and grants at the same times for any answers at any times', async ({ task }) => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 60 }), async (steps) => {
        prefix = randomPrefix(task.name);
        let now = 1_000_000;
        const scheduler = new VirtualTimeScheduler();
        scheduler.frame = now;
        const memory = new MemoryLimiter({ rate: '1/1s', adaptive: { maxPerSecond: 100 }, scheduler });
        const redis = limiter({ adaptive: { maxPerSecond: 100 }, now: () => now });
        // Connected first: a RedisLimiter drops what it hears while it is not (learning is advice).
        await redis.reserve('connected');
        for (const step of steps) {
          if (step.kind === 'advance') {
            now += step.ms;
            scheduler.frame = now;
          } else if (step.kind === 'answer') {
            const answer = { status: step.status, headers: new Headers(step.headers ?? {}) };
            memory.learn('k', answer);
            await redis.learn('k', answer);
          } else {
            const inMemory = memory.reserve('k');
            const inRedis = await redis.reserve('k');
            expect(inMemory.grantAt).toBeCloseTo(inRedis.grantAt, 2);
            expect(memory.learntRate('k')).toBeCloseTo(redis.learntRate('k') ?? Number.NaN, 3);
          }
        }
        await redis.close();
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
