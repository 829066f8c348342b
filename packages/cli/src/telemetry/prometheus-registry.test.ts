import { recordMetric } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { createCapitalRegistry, prometheusName } from './prometheus-registry.js';

describe('prometheusName', () => {
  it('follows the Prometheus conventions: _total for counters, seconds for durations', () => {
    expect(prometheusName('capital.pages')).toBe('capital_pages_total');
    expect(prometheusName('capital.limiter.wait')).toBe('capital_limiter_wait_seconds');
    expect(prometheusName('capital.sink.write.duration')).toBe('capital_sink_write_seconds');
    expect(prometheusName('capital.pages.in_flight')).toBe('capital_pages_in_flight');
  });
});

describe('createCapitalRegistry', () => {
  it('counts what Capital records from its creation on, with labels, ms as seconds', async () => {
    const { registry, stop } = createCapitalRegistry();
    try {
      recordMetric('capital.retries', 1, { 'capital.retry.cause': 'http_429' });
      recordMetric('capital.retries', 1, { 'capital.retry.cause': 'http_429' });
      recordMetric('capital.limiter.wait', 250);
      const text = await registry.metrics();
      expect(text).toContain('capital_retries_total{capital_retry_cause="http_429"} 2');
      expect(text).toContain('capital_limiter_wait_seconds_sum 0.25');
    } finally {
      stop();
    }
    recordMetric('capital.retries', 1, { 'capital.retry.cause': 'http_429' });
    expect(await registry.metrics()).toContain('capital_retries_total{capital_retry_cause="http_429"} 2');
  });
});
