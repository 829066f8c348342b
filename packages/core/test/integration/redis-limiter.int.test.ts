import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialResolver } from '../../src/credentials.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createLimiterKeys } from '../../src/limit/limiter-key.js';
import { RedisLimiter } from '../../src/limit/redis-limiter.js';
import type { RedisLimiterOptions } from '../../src/limit/redis-limiter-options.js';
import { deleteKeys, listKeys, randomPrefix, redisUrl } from './fixtures/redis-keyspace.js';

let admin: Redis;
let prefix: string;
const limiters: RedisLimiter[] = [];

/** A limiter on this test's own prefix, closed after the test. */
function limiter(options: RedisLimiterOptions = {}): RedisLimiter {
  const created = new RedisLimiter({ redis: redisUrl, rate: '10/1s', prefix, ...options });
  limiters.push(created);
  return created;
}

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

describe('RedisLimiter', () => {
  it('spaces the grants on a key by the interval, on Redis time', async ({ task }) => {
    prefix = randomPrefix(task.name);
    // A long interval: on a busy machine a round trip may take longer than 100 ms, and a grant
    // asked for after the previous one's time is due at once, not an interval later.
    const subject = limiter({ rate: '1/10s' });
    const [seconds, micros] = await admin.time();
    const redisNow = Number(seconds) * 1000 + Number(micros) / 1000;
    const grants: number[] = [];
    for (let i = 0; i < 5; i++) grants.push((await subject.reserve('k')).grantAt);
    expect(grants[0]).toBeGreaterThanOrEqual(redisNow);
    expect(grants[0]).toBeLessThan(redisNow + 5000);
    for (let i = 1; i < grants.length; i++)
      expect((grants[i] ?? 0) - (grants[i - 1] ?? 0)).toBeCloseTo(10_000, 6);
  });

  it('tells each caller its exact wait: grantAt minus Redis now', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '1/10s' });
    const first = await subject.reserve('k');
    const second = await subject.reserve('k');
    expect(first.waitMs).toBe(0);
    const secondNow = second.grantAt - second.waitMs;
    expect(secondNow).toBeGreaterThanOrEqual(first.grantAt);
    expect(second.waitMs).toBeCloseTo(first.grantAt + 10_000 - secondNow, 3); // whole µs, as doubles in ms
  });

  it('resolves acquire after its wait, with one sleep', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '4/1s' });
    await subject.acquire('k');
    const started = performance.now();
    const second = await subject.acquire('k');
    const elapsed = performance.now() - started;
    expect(second.waitMs).toBeGreaterThan(100);
    expect(elapsed).toBeGreaterThanOrEqual(second.waitMs - 1);
    expect(elapsed).toBeLessThan(second.waitMs + 1000);
  });

  it('makes a pause seen by every client of the key', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const pausing = limiter();
    const other = limiter();
    await pausing.pause('k', 15_000);
    const reservation = await other.reserve('k');
    expect(reservation.waitMs).toBeGreaterThan(10_000);
    expect(reservation.waitMs).toBeLessThanOrEqual(15_000);
  });

  it('gives back the newest reservation, and only it', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '1/10s' });
    const first = await subject.reserve('k');
    const second = await subject.reserve('k');
    await first.release();
    const third = await subject.reserve('k');
    expect(third.grantAt).toBeCloseTo(second.grantAt + 10_000, 6);
    await third.release();
    await third.release();
    expect((await subject.reserve('k')).grantAt).toBe(third.grantAt);
  });

  it('gives the permit back when acquire is aborted while waiting', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '2/1s' });
    const first = await subject.reserve('k');
    const controller = new AbortController();
    const waiting = subject.acquire('k', controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await expect(waiting).rejects.toThrow('cancelled');
    expect((await subject.reserve('k')).grantAt).toBeCloseTo(first.grantAt + 500, 6);
  });

  it('takes no permit when the signal is already aborted', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter();
    await expect(subject.acquire('k', AbortSignal.abort(new Error('no')))).rejects.toThrow('no');
    expect(subject.stats().roundTrips).toBe(0);
    expect((await subject.reserve('k')).waitMs).toBe(0);
  });

  it('lets its keys expire just past their tat', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter();
    await subject.reserve('k');
    await subject.pause('p', 2000);
    const reserved = await admin.pttl(`${prefix}k`);
    const paused = await admin.pttl(`${prefix}p`);
    expect(reserved).toBeGreaterThan(0);
    expect(reserved).toBeLessThanOrEqual(100 + 1000 + 1);
    expect(paused).toBeGreaterThan(2000);
    expect(paused).toBeLessThanOrEqual(2000 + 1000 + 1);
  });

  it('keys by a keyed hash of the credential, never the token or its reference', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter();
    const token = 'tok_live_5a3f9c2e81d04b7';
    const keys = createLimiterKeys({
      resolveCredential: createCredentialResolver({ WTD_API_TOKEN: token }),
      secret: 'deployment-secret',
    });
    await subject.reserve(keys.forCredential('wtd', 'env:WTD_API_TOKEN'));
    const stored = await listKeys(admin, prefix);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(new RegExp(`^${prefix}wtd:[0-9a-f]{32}$`));
    expect(stored[0]).not.toContain(token);
    expect(stored[0]).not.toContain('WTD_API_TOKEN');
  });

  it('gives two tokens two budgets: a 429 pause of one never holds the other', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '1000/1s' });
    // Two accounts behind the same reference, in two processes' environments.
    const first = createLimiterKeys({ resolveCredential: createCredentialResolver({ T: 'token-one' }) });
    const second = createLimiterKeys({ resolveCredential: createCredentialResolver({ T: 'token-two' }) });
    await subject.pause(first.forCredential('wtd', 'env:T'), 60_000);
    const granted = await subject.reserve(second.forCredential('wtd', 'env:T'));
    const held = await subject.reserve(first.forCredential('wtd', 'env:T'));
    await Promise.all([granted.release(), held.release()]);
    expect(granted.waitMs).toBe(0);
    expect(held.waitMs).toBeGreaterThan(50_000);
  });

  it('gives one token one budget, whatever references lead to it', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ rate: '1000/1s' });
    const keys = createLimiterKeys({
      resolveCredential: createCredentialResolver({ A: 'same-token', B: 'same-token' }),
    });
    await subject.pause(keys.forCredential('wtd', 'env:A'), 60_000);
    const held = await subject.reserve(keys.forCredential('wtd', 'env:B'));
    await held.release();
    expect(held.waitMs).toBeGreaterThan(50_000);
    expect(await listKeys(admin, prefix)).toHaveLength(1);
  });

  it('uses one round trip per reserve, counted by the client too', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const client = new Redis(redisUrl);
    await client.ping();
    let sent = 0;
    const sendCommand = client.sendCommand.bind(client);
    client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
      sent++;
      return sendCommand(...args);
    };
    const subject = limiter({ redis: client });
    for (let i = 0; i < 20; i++) await subject.reserve('k');
    expect(sent).toBe(20);
    expect(subject.stats()).toEqual({ reservations: 20, fallbackReservations: 0, roundTrips: 20 });
    await subject.close();
    expect(client.status).toBe('ready');
    await client.quit();
  });

  it('rejects options out of range', () => {
    expect(() => new RedisLimiter({ rate: '9 per second' })).toThrow(InvalidOptionError);
    expect(() => new RedisLimiter({ unavailableAfterMs: 0 })).toThrow(InvalidOptionError);
    expect(() => new RedisLimiter({ fallback: { share: 1.5 } })).toThrow(InvalidOptionError);
  });

  it('rejects a pause that is not a duration', async ({ task }) => {
    prefix = randomPrefix(task.name);
    await expect(limiter().pause('k', Number.NaN)).rejects.toThrow(InvalidOptionError);
  });
});
