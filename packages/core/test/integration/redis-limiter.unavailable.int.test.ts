import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiterUnavailableError } from '../../src/errors.js';
import { RedisLimiter } from '../../src/limit/redis-limiter.js';
import type { RedisLimiterOptions } from '../../src/limit/redis-limiter-options.js';
import type { Logger } from '../../src/logger.js';
import { countWindowOverflows, freePort, kill, startRedisServer } from './fixtures/redis-keyspace.js';

const limiters: RedisLimiter[] = [];
const servers: ChildProcess[] = [];

function limiter(options: RedisLimiterOptions): RedisLimiter {
  const created = new RedisLimiter({ prefix: 'capital-test:unavailable:', ...options });
  limiters.push(created);
  return created;
}

/** A logger that keeps its warnings. */
function recordingLogger(): Logger & { warnings: string[] } {
  const ignore = () => {};
  const warnings: string[] = [];
  return { debug: ignore, info: ignore, error: ignore, warn: (message) => warnings.push(message), warnings };
}

/** Acquires on `key` in a loop until `until()` says stop or a call fails; records grant times. */
async function acquireLoop(subject: RedisLimiter, until: () => boolean) {
  const grants: number[] = [];
  while (!until()) {
    const asked = performance.now();
    try {
      grants.push((await subject.acquire('k')).grantAt);
    } catch (error) {
      return { grants, error, failedAfterMs: performance.now() - asked };
    }
  }
  return { grants, error: undefined, failedAfterMs: 0 };
}

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((created) => created.close()));
  await Promise.all(servers.splice(0).map((server) => kill(server)));
});

describe('RedisLimiter without Redis', () => {
  it('throws RateLimiterUnavailableError within the bound when Redis is unreachable', async () => {
    const subject = limiter({ redis: `redis://127.0.0.1:${await freePort()}`, unavailableAfterMs: 500 });
    const started = performance.now();
    const error = await subject.reserve('wtd:5f1c').catch((caught: unknown) => caught);
    expect(performance.now() - started).toBeLessThan(500 + 1500);
    expect(error).toBeInstanceOf(RateLimiterUnavailableError);
    expect(error).toMatchObject({
      code: 'RATE_LIMITER_UNAVAILABLE',
      limiterKey: 'wtd:5f1c',
      retryable: true,
    });

    // Once a wait has run out, calls fail at once until the connection is back (two calls that
    // each waited out the bound would take 1000 ms).
    const again = performance.now();
    await expect(subject.acquire('k')).rejects.toBeInstanceOf(RateLimiterUnavailableError);
    await expect(subject.pause('k', 1000)).rejects.toBeInstanceOf(RateLimiterUnavailableError);
    expect(performance.now() - again).toBeLessThan(1000);
  });

  it('with a fallback, grants locally at the share of the rate and warns once', async () => {
    const logger = recordingLogger();
    const subject = limiter({
      redis: `redis://127.0.0.1:${await freePort()}`,
      rate: '20/1s',
      unavailableAfterMs: 300,
      fallback: { share: 0.5 },
      logger,
    });
    const grants: number[] = [];
    for (let i = 0; i < 6; i++) grants.push((await subject.reserve('k')).grantAt);
    for (let i = 1; i < grants.length; i++)
      expect((grants[i] ?? 0) - (grants[i - 1] ?? 0)).toBeCloseTo(100, 6);

    // Real time now: over a second, no more than half of 20 permits (and one at its start).
    const started = performance.now();
    const { grants: acquired, error } = await acquireLoop(subject, () => performance.now() - started > 1000);
    expect(error).toBeUndefined();
    expect(acquired.length).toBeLessThanOrEqual(11);
    expect(acquired.length).toBeGreaterThanOrEqual(4);
    expect(subject.stats()).toMatchObject({ reservations: 0, roundTrips: 0 });
    expect(subject.stats().fallbackReservations).toBe(6 + acquired.length);
    expect(logger.warnings).toHaveLength(1);
  });

  it('when Redis is killed mid-run, fails within the bound, grants nothing more, and recovers', async () => {
    const port = await freePort();
    servers.push(await startRedisServer(port));
    const subject = limiter({ redis: `redis://127.0.0.1:${port}`, rate: '10/1s', unavailableAfterMs: 2000 });
    const started = performance.now();
    let killedAt = Number.POSITIVE_INFINITY;
    setTimeout(() => {
      killedAt = Date.now();
      void kill(servers[0] as ChildProcess);
    }, 800);
    const { grants, error, failedAfterMs } = await acquireLoop(
      subject,
      () => performance.now() - started > 5000,
    );

    expect(error).toBeInstanceOf(RateLimiterUnavailableError);
    expect(failedAfterMs).toBeLessThan(2000 + 1500);
    expect(grants.length).toBeGreaterThanOrEqual(3);
    expect(countWindowOverflows(grants, 10, 1000)).toBe(0);
    // Only permits Redis had reserved before it died (one interval at most): nothing without it.
    for (const grant of grants) expect(grant).toBeLessThan(killedAt + 150);

    servers.push(await startRedisServer(port));
    const restarted = performance.now();
    let recovered = false;
    while (!recovered && performance.now() - restarted < 10_000) {
      recovered = await subject.reserve('k').then(
        () => true,
        () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
      );
    }
    expect(recovered).toBe(true);
  });

  it('closes within the bound when Redis stops answering (the process frozen, its socket open)', async () => {
    const port = await freePort();
    const server = await startRedisServer(port);
    servers.push(server);
    const subject = new RedisLimiter({ redis: `redis://127.0.0.1:${port}`, unavailableAfterMs: 1000 });
    await subject.reserve('k');
    server.kill('SIGSTOP');
    try {
      const started = performance.now();
      // QUIT is never answered: close() must cut the connection rather than wait for it.
      const closed = await Promise.race([
        subject.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000)),
      ]);
      expect(closed).toBe('closed');
      expect(performance.now() - started).toBeLessThan(1000 + 1500);
    } finally {
      server.kill('SIGCONT');
    }
  });

  it('when Redis is killed mid-run with a fallback, goes on at the share of the rate without a burst', async () => {
    const port = await freePort();
    servers.push(await startRedisServer(port));
    const subject = limiter({
      redis: `redis://127.0.0.1:${port}`,
      rate: '10/1s',
      unavailableAfterMs: 500,
      fallback: { share: 0.5 },
    });
    const started = performance.now();
    setTimeout(() => void kill(servers[0] as ChildProcess), 800);
    const { grants, error } = await acquireLoop(subject, () => performance.now() - started > 3000);

    expect(error).toBeUndefined();
    const { reservations, fallbackReservations } = subject.stats();
    expect(reservations).toBeGreaterThanOrEqual(3);
    expect(fallbackReservations).toBeGreaterThanOrEqual(3);
    // Redis' clock and the local one are the same machine's clock: one timeline, no window over 10.
    expect(countWindowOverflows(grants, 10, 1000)).toBe(0);
    const local = grants.slice(reservations);
    for (let i = 1; i < local.length; i++)
      expect((local[i] ?? 0) - (local[i - 1] ?? 0)).toBeGreaterThanOrEqual(199);
  });
});
