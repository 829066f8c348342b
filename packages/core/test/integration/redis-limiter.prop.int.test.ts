import fc from 'fast-check';
import { Redis } from 'ioredis';
import { VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimiterLayer } from '../../src/limit/limiter-layers.js';
import { MemoryLimiter } from '../../src/limit/memory-limiter.js';
import type { Rate } from '../../src/limit/rate.js';
import type { Reservation } from '../../src/limit/rate-limiter.js';
import { RedisLimiter } from '../../src/limit/redis-limiter.js';
import { deleteKeys, randomPrefix, redisUrl } from './fixtures/redis-keyspace.js';

/** One step of a run: time moves forward by `advance` ms, then one operation on one of three keys. */
type Step =
  | { readonly op: 'reserve'; readonly key: number; readonly advance: number }
  | { readonly op: 'pause'; readonly key: number; readonly advance: number; readonly durationMs: number }
  | { readonly op: 'release'; readonly pick: number; readonly advance: number }
  | { readonly op: 'recheck'; readonly pick: number; readonly advance: number };

const rateArbitrary: fc.Arbitrary<Rate> = fc
  .record({
    limit: fc.integer({ min: 1, max: 30 }),
    periodMs: fc.oneof(
      fc.integer({ min: 1, max: 120_000 }),
      fc.double({ min: 0.5, max: 10_000, noNaN: true, noDefaultInfinity: true }),
    ),
  })
  .chain(({ limit, periodMs }) =>
    fc.integer({ min: 1, max: limit }).map((burst) => ({ limit, periodMs, burst })),
  );

/** Times from 0 and from around now (where doubles are coarse), whole and fractional ms. */
const startArbitrary = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 2_000_000_000_000 }),
  fc.double({ min: 1_600_000_000_000, max: 2_000_000_000_000, noNaN: true }),
);

function stepsArbitrary(rate: Rate): fc.Arbitrary<Step[]> {
  const advance = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: Math.ceil(rate.periodMs) }),
    fc.double({ min: 0, max: (rate.periodMs / rate.limit) * 3, noNaN: true }),
  );
  const key = fc.integer({ min: 0, max: 2 });
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('reserve' as const), key, advance }) },
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('pause' as const),
          key,
          advance,
          durationMs: fc.oneof(
            fc.integer({ min: 0, max: 5000 }),
            fc.double({ min: 0, max: 5000, noNaN: true }),
          ),
        }),
      },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat(), advance }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('recheck' as const), pick: fc.nat(), advance }) },
    ),
    { minLength: 1, maxLength: 30 },
  );
}

let client: Redis;
const prefix = randomPrefix('prop');

beforeAll(async () => {
  client = new Redis(redisUrl);
  await client.ping();
});

afterAll(async () => {
  await deleteKeys(client, prefix);
  await client.quit();
});

describe('RedisLimiter and MemoryLimiter', () => {
  it('grant the same permits at the same times, for any rate and any sequence of operations', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        rateArbitrary.chain((rate) => fc.tuple(fc.constant(rate), startArbitrary, stepsArbitrary(rate))),
        async ([rate, start, steps]) => {
          let now = start;
          const scheduler = new VirtualTimeScheduler();
          const memory = new MemoryLimiter({ rate, scheduler });
          // The `now` override exists for this test: both limiters see exactly the same times.
          const redis = new RedisLimiter({
            redis: client,
            rate,
            prefix: `${prefix}${run++}:`,
            now: () => now,
          });
          const held: Array<{ memory: Reservation; redis: Reservation }> = [];
          const outcomes: Array<{ memory: unknown; redis: unknown }> = [];
          for (const step of steps) {
            now += step.advance;
            scheduler.frame = now;
            if (step.op === 'reserve') {
              const fromMemory = memory.reserve(`k${step.key}`) as Reservation;
              const fromRedis = await redis.reserve(`k${step.key}`);
              held.push({ memory: fromMemory, redis: fromRedis });
              outcomes.push({
                memory: [fromMemory.grantAt, fromMemory.waitMs],
                redis: [fromRedis.grantAt, fromRedis.waitMs],
              });
            } else if (step.op === 'pause') {
              memory.pause(`k${step.key}`, step.durationMs);
              await redis.pause(`k${step.key}`, step.durationMs);
            } else if (step.op === 'recheck' && held.length > 0) {
              // A permit voided by a pause is given back and replaced by the same new one in both.
              const [picked] = held.splice(step.pick % held.length, 1);
              const fromMemory = picked?.memory.recheck?.() as Reservation | undefined;
              const fromRedis = await picked?.redis.recheck?.();
              if (fromMemory && fromRedis) held.push({ memory: fromMemory, redis: fromRedis });
              else if (picked && !fromMemory && !fromRedis) held.push(picked);
              outcomes.push({
                memory: fromMemory && [fromMemory.grantAt, fromMemory.waitMs],
                redis: fromRedis && [fromRedis.grantAt, fromRedis.waitMs],
              });
            } else if (held.length > 0) {
              const [picked] = held.splice(step.pick % held.length, 1);
              await picked?.memory.release();
              await picked?.redis.release();
            }
          }
          await redis.close();
          expect(outcomes.map((outcome) => outcome.redis)).toEqual(outcomes.map((outcome) => outcome.memory));
        },
      ),
      { numRuns: 200 },
    );
    expect(run).toBeGreaterThanOrEqual(200);
  });
});

/** Which layers a layered reservation takes: subsets of three keys, each key with its own rate. */
const layerSets: readonly (readonly number[])[] = [[0], [0, 1], [0, 2], [1, 2], [0, 1, 2], [2, 0]];

describe('RedisLimiter and MemoryLimiter with layered keys', () => {
  it('grant the same permits at the same times, for any rates and any sequence of operations', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(rateArbitrary, rateArbitrary, rateArbitrary)
          .chain((rates) => fc.tuple(fc.constant(rates), startArbitrary, stepsArbitrary(rates[0]))),
        async ([rates, start, steps]) => {
          let now = start;
          const scheduler = new VirtualTimeScheduler();
          // Layer 0 takes the limiter's own rate; layers 1 and 2 carry theirs.
          const memory = new MemoryLimiter({ rate: rates[0], scheduler });
          const redis = new RedisLimiter({
            redis: client,
            rate: rates[0],
            prefix: `${prefix}layers${run++}:`,
            now: () => now,
          });
          const layersOf = (pick: number): LimiterLayer[] =>
            (layerSets[pick % layerSets.length] ?? [0]).map((index) =>
              index === 0 ? { key: 'k0' } : { key: `k${index}`, rate: rates[index] ?? rates[0] },
            );
          const held: Array<{ memory: Reservation; redis: Reservation }> = [];
          const outcomes: Array<{ memory: unknown; redis: unknown }> = [];
          for (const step of steps) {
            now += step.advance;
            scheduler.frame = now;
            if (step.op === 'reserve') {
              const layers = layersOf(step.key * 2 + (Math.floor(step.advance) % 2));
              const fromMemory = memory.reserve(layers) as Reservation;
              const fromRedis = await redis.reserve(layers);
              held.push({ memory: fromMemory, redis: fromRedis });
              outcomes.push({
                memory: [fromMemory.grantAt, fromMemory.waitMs],
                redis: [fromRedis.grantAt, fromRedis.waitMs],
              });
            } else if (step.op === 'pause') {
              // A key is paused at the rate it was last reserved with, as after a 429.
              memory.pause(`k${step.key}`, step.durationMs);
              await redis.pause(`k${step.key}`, step.durationMs);
            } else if (step.op === 'recheck' && held.length > 0) {
              const [picked] = held.splice(step.pick % held.length, 1);
              const fromMemory = picked?.memory.recheck?.() as Reservation | undefined;
              const fromRedis = await picked?.redis.recheck?.();
              if (fromMemory && fromRedis) held.push({ memory: fromMemory, redis: fromRedis });
              else if (picked && !fromMemory && !fromRedis) held.push(picked);
              outcomes.push({
                memory: fromMemory && [fromMemory.grantAt, fromMemory.waitMs],
                redis: fromRedis && [fromRedis.grantAt, fromRedis.waitMs],
              });
            } else if (held.length > 0) {
              const [picked] = held.splice(step.pick % held.length, 1);
              await picked?.memory.release();
              await picked?.redis.release();
            }
          }
          const { reservations, roundTrips } = redis.stats();
          await redis.close();
          expect(outcomes.map((outcome) => outcome.redis)).toEqual(outcomes.map((outcome) => outcome.memory));
          expect(reservations).toBeLessThanOrEqual(roundTrips);
        },
      ),
      { numRuns: 200 },
    );
    expect(run).toBeGreaterThanOrEqual(200);
  });
});
