// The learnt rate of `MemoryLimiter` (`--rate auto` in one process), on a clock the test moves:
// the same cases, and the same figures, as redis-limiter.adaptive.int.test.ts for Redis.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AdaptiveRateOptions } from './adaptive-rate-options.js';
import { MemoryLimiter } from './memory-limiter.js';

function limiter(adaptive: AdaptiveRateOptions, start = 1_000_000) {
  const scheduler = new VirtualTimeScheduler();
  scheduler.frame = start;
  const subject = new MemoryLimiter({ rate: '1/1s', adaptive, scheduler });
  return {
    subject,
    advance: (ms: number) => {
      scheduler.frame += ms;
    },
  };
}

const ok = { status: 200 };
const throttled = { status: 429 };
const announcing = (fields: Record<string, string>, status = 200) => ({
  status,
  headers: new Headers(fields),
});

describe('MemoryLimiter with adaptive', () => {
  it('starts a key nothing is known of at the initial rate', () => {
    const { subject } = limiter({ initialPerSecond: 2 });
    const first = subject.reserve('k');
    const second = subject.reserve('k');
    expect(subject.learntRate('k')).toBe(2);
    expect(second.grantAt - first.grantAt).toBe(500);
  });

  it('starts at 1/s by default', () => {
    const { subject } = limiter({});
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(1);
  });

  it('raises the rate by the answers that passed while the key was busy', () => {
    const { subject } = limiter({});
    subject.reserve('k');
    for (let i = 0; i < 4; i++) subject.learn('k', ok);
    subject.reserve('k'); // the key is busy: its tat is ahead of now
    expect(subject.learntRate('k')).toBe(2); // 1 + 4 × 0.25
  });

  it('does not raise the rate of a key that is not busy, nor on answers that did not pass', () => {
    const { subject, advance } = limiter({});
    subject.reserve('k');
    advance(60_000);
    for (let i = 0; i < 4; i++) subject.learn('k', ok);
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(1);
    for (let i = 0; i < 4; i++) subject.learn('k', { status: 503 });
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(1);
  });

  it('cuts the rate on a 429 at once, once per cooldown', () => {
    const { subject, advance } = limiter({ initialPerSecond: 8, cooldownMs: 1000 });
    subject.reserve('k');
    subject.learn('k', throttled);
    subject.learn('k', throttled); // sent at the old rate: no second cut
    expect(subject.learntRate('k')).toBe(5.6); // the first cut takes 30 %: nothing was known yet
    subject.reserve('k');
    // The cooldown runs from the end of the permits handed out before the cut (one, 125 ms).
    advance(1100);
    subject.learn('k', throttled);
    expect(subject.learntRate('k')).toBe(5.6);
    advance(200);
    subject.learn('k', throttled);
    expect(subject.learntRate('k')).toBeCloseTo(4.76, 4); // later cuts take 15 %
  });

  it('jumps to an announced limit times the safety factor, never above the ceiling', () => {
    const { subject } = limiter({ maxPerSecond: 50 });
    subject.reserve('k');
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=20;w=1' }));
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(18.4);
    subject.learn(
      'k',
      announcing({ 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '999', 'x-ratelimit-reset': '1' }),
    );
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(50);
  });

  it('follows an announced limit down at once, keeping the window it learnt', () => {
    const { subject } = limiter({});
    subject.reserve('k');
    subject.learn(
      'k',
      announcing({ 'ratelimit-limit': '20', 'ratelimit-remaining': '19', 'ratelimit-reset': '2' }),
    );
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(9.2);
    subject.learn(
      'k',
      announcing({ 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '1' }),
    );
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(4.6);
  });

  it('after a 429, climbs back to an announced limit instead of jumping to it', () => {
    const { subject, advance } = limiter({ holdMs: 5000 });
    subject.reserve('k');
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }));
    subject.reserve('k');
    subject.learn('k', throttled);
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }, 429));
    subject.reserve('k');
    expect(subject.learntRate('k')).toBeCloseTo(9.2 * 0.85, 4);
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }));
    subject.reserve('k');
    const climbing = subject.learntRate('k') ?? 0;
    expect(climbing).toBeGreaterThan(9.2 * 0.85);
    expect(climbing).toBeLessThan(9.2);
    advance(7000);
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=10;w=1' }));
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(9.2);
  });

  it('spaces permits at the learnt rate, and gives one back at the rate it was reserved at', async () => {
    const { subject } = limiter({ initialPerSecond: 4 });
    const first = subject.reserve('k');
    const second = subject.reserve('k');
    expect(second.grantAt - first.grantAt).toBe(250);
    await second.release();
    const again = subject.reserve('k');
    expect(again.grantAt).toBe(second.grantAt);
  });

  it('learns nothing without adaptive', () => {
    const subject = new MemoryLimiter({ rate: '2/1s' });
    subject.learn('k', throttled);
    expect(subject.learntRate('k')).toBeUndefined();
    expect(subject.learntRates().size).toBe(0);
  });

  it('keeps a learnt rate within the bounds, whatever the API announces', () => {
    const { subject } = limiter({ maxPerSecond: 20, minPerSecond: 0.5 });
    subject.reserve('k');
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=1000000;w=1' }));
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(20);
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=1;w=86400' }));
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(0.5);
    subject.learn('k', announcing({ 'ratelimit-policy': '"d";q=-5;w=1e9', 'x-ratelimit-limit': 'lots' }));
    subject.reserve('k');
    expect(subject.learntRate('k')).toBe(0.5);
  });
});
