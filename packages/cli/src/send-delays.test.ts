import { describe, expect, it } from 'vitest';
import { describeSendDelays, SendDelays } from './send-delays.js';

describe('SendDelays', () => {
  it('reads a percentile as its bucket upper edge, never above the maximum', () => {
    const delays = new SendDelays();
    for (const ms of [0.2, 0.4, 3, 2000]) delays.sent(ms);
    expect(delays.summary()).toEqual({
      requests: 4,
      p50Ms: 1,
      p90Ms: 1000,
      p99Ms: 1000,
      maxMs: 2000,
      spentPermits: 0,
    });
  });

  it('says nothing when no delay was measured, and names spent permits when some were', () => {
    expect(describeSendDelays(new SendDelays().summary())).toBeUndefined();
    const delays = new SendDelays();
    delays.sent(2);
    delays.spent();
    expect(describeSendDelays(delays.summary())).toBe(
      'grant-to-send p50 2.0 ms · p90 2.0 ms · p99 2.0 ms · max 2.0 ms (1 request, 1 late permit spent)',
    );
  });
});
