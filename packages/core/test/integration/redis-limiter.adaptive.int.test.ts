import { describe, expect, it } from 'vitest';
import { randomPrefix } from './fixtures/redis-keyspace.js';
import { useRedisLimiters } from './fixtures/redis-limiters.js';

let prefix: string;
const { admin, limiter } = useRedisLimiters('1/1s', () => prefix);

/** A clock the test moves, fed to the scripts instead of Redis TIME (ms). */
function testClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const ok = { status: 200 };
const throttled = { status: 429 };
const announcing = (fields: Record<string, string>, status = 200) => ({
  status,
  headers: new Headers(fields),
});

describe('RedisLimiter with adaptive', () => {
  it('starts a key nothing is known of at the initial rate', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const clock = testClock();
    const subject = limiter({ adaptive: { initialPerSecond: 2 }, now: clock.now });
    const first = await subject.reserve('k');
    const second = await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(2);
    expect(second.grantAt - first.grantAt).toBe(500);
  });

  it('raises the rate by the answers that passed while the key was busy, in the grant’s round trip', async ({
    task,
  }) => {
    prefix = randomPrefix(task.name);
    const clock = testClock();
    const subject = limiter({ adaptive: {}, now: clock.now });
    await subject.reserve('k');
    for (let i = 0; i < 4; i++) await subject.learn('k', ok);
    await subject.reserve('k'); // the key is busy: its tat is ahead of now
    expect(subject.learntRate('k')).toBe(2); // 1 + 4 × 0.25
    expect(subject.stats().roundTrips).toBe(2);
  });

  it('does not raise the rate of a key that is not busy', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const clock = testClock();
    const subject = limiter({ adaptive: {}, now: clock.now });
    await subject.reserve('k');
    clock.advance(60_000);
    for (let i = 0; i < 4; i++) await subject.learn('k', ok);
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(1);
  });

  it('cuts the rate on a 429 for every process, once per cooldown', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const clock = testClock();
    const one = limiter({ adaptive: { initialPerSecond: 8, cooldownMs: 1000 }, now: clock.now });
    const other = limiter({ adaptive: { initialPerSecond: 8, cooldownMs: 1000 }, now: clock.now });
    await one.reserve('k');
    await one.learn('k', throttled);
    await one.learn('k', throttled); // sent at the old rate: no second cut
    await other.reserve('k');
    expect(other.learntRate('k')).toBe(5.6); // the first cut takes 30 %: nothing was known yet
    // The cooldown runs from the end of the permits handed out before the cut (one, 125 ms).
    clock.advance(1100);
    await other.learn('k', throttled);
    await other.reserve('k');
    expect(other.learntRate('k')).toBe(5.6);
    clock.advance(200);
    await other.learn('k', throttled);
    await one.reserve('k');
    expect(one.learntRate('k')).toBeCloseTo(4.76, 4); // later cuts take 15 %
  });

  it('jumps to an announced limit times the safety factor, never above the ceiling', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const clock = testClock();
    const subject = limiter({ adaptive: { maxPerSecond: 50 }, now: clock.now });
    await subject.reserve('k');
    await subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=20;w=1' }));
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(18.4);
    await subject.learn(
      'k',
      announcing({ 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '999', 'x-ratelimit-reset': '1' }),
    );
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(50);
  });

  it('follows an announced limit down at once, keeping the window it learnt', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const clock = testClock();
    const subject = limiter({ adaptive: {}, now: clock.now });
    await subject.reserve('k');
    // A fresh window: the reset is the whole window, 2 s.
    await subject.learn(
      'k',
      announcing({ 'ratelimit-limit': '20', 'ratelimit-remaining': '19', 'ratelimit-reset': '2' }),
    );
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(9.2);
    await subject.learn(
      'k',
      announcing({ 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '1' }),
    );
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(4.6);
  });

  it('after a 429, climbs back to an announced limit instead of jumping to it', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const clock = testClock();
    const subject = limiter({ adaptive: { holdMs: 5000 }, now: clock.now });
    await subject.reserve('k');
    await subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }));
    await subject.reserve('k');
    await subject.learn('k', throttled);
    await subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }, 429));
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBeCloseTo(9.2 * 0.85, 4);
    await subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }));
    await subject.reserve('k');
    const climbing = subject.learntRate('k') ?? 0;
    expect(climbing).toBeGreaterThan(9.2 * 0.85);
    expect(climbing).toBeLessThan(9.2);
    // The hold runs from the end of the permits handed out before the cut.
    clock.advance(7000);
    await subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }));
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(9.2);
  });

  it('brings a stored rate out of bounds back within them', async ({ task }) => {
    prefix = randomPrefix(task.name);
    const subject = limiter({ adaptive: { maxPerSecond: 20, minPerSecond: 0.5 } });
    await admin().hset(`${prefix}k:rate`, 'r', '1e300');
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(20);
    await admin().hset(`${prefix}k:rate`, 'r', '-7');
    await subject.reserve('k');
    expect(subject.learntRate('k')).toBe(0.5);
  });
});
