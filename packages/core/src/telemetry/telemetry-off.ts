import { metricsOff } from './record-metric.js';
import { tracingOff } from './trace-attempt.js';

/**
 * Whether nothing would be traced or measured (no TracerProvider, no MeterProvider, no metrics
 * listener): then a page's spans, metrics and their bookkeeping are skipped altogether, which
 * at 0 ms latency is a cost that shows. Asked per attempt, since an application may register its
 * SDK at any time; an attempt that started unobserved stays so.
 */
export function telemetryOff(): boolean {
  return tracingOff() && metricsOff();
}
