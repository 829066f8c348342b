import { INVALID_SPAN_CONTEXT, type TracerProvider, trace } from '@opentelemetry/api';
import { defer, lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { observeMetrics } from './record-metric.js';
import { traceAttempt, tracingOff } from './trace-attempt.js';
import { traceHttpCall } from './trace-http-call.js';

/** The server address `capital.http.bytes` carries for a call to `url`. */
async function addressOf(url: string): Promise<unknown> {
  const seen: unknown[] = [];
  const stop = observeMetrics((measurement) => {
    if (measurement.name === 'capital.http.bytes') seen.push(measurement.attributes['server.address']);
  });
  try {
    await traceHttpCall({ method: 'GET', url }, async (report) => report.bytes(1));
  } finally {
    stop();
  }
  return seen[0];
}

describe('traceHttpCall', () => {
  it('names the server as the URL parser does, whatever the rest of the URL, each time', async () => {
    const urls = [
      'http://127.0.0.1:4000/api/v1/stock_search?page=1',
      'http://127.0.0.1:4000/api/v1/stock_search?page=2',
      'https://user:pass@Example.COM/a',
      'https://example.com?x=1',
      'http://[::1]:8080/x',
      'http://example.org#frag',
      'http:\\\\example.net\\path',
    ];
    for (const url of [...urls, ...urls]) {
      expect(await addressOf(url)).toBe(new URL(url).hostname);
    }
  });

  it('leaves the server out when the URL does not parse', async () => {
    expect(await addressOf('not a url')).toBeUndefined();
    expect(await addressOf('http://exa mple.com/x')).toBeUndefined();
  });
});

describe('traceHttpCall and traceAttempt without and with a TracerProvider', () => {
  it('start no span while none is registered, and spans of both once one is', async () => {
    const started: string[] = [];
    const provider: TracerProvider = {
      getTracer: () => ({
        startSpan: (name) => {
          started.push(name);
          return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
        },
        startActiveSpan: () => {
          throw new Error('not used by Capital');
        },
      }),
    };
    const attempt = () =>
      lastValueFrom(
        traceAttempt(
          { taskKey: 'k1', type: 'acme.orders', page: 1 },
          { signal: new AbortController().signal, logger: silentLogger, taskKey: 'k1', attempt: 1 },
          defer(async () => {
            await traceHttpCall({ method: 'GET', url: 'http://127.0.0.1:4000/x' }, async (report) => {
              report.status(200);
              report.bytes(10);
            });
            return { task: { type: 'acme.orders', page: 1 }, data: [], nextTasks: [] };
          }),
        ),
      );
    expect(tracingOff()).toBe(true);
    await attempt();
    expect(started).toEqual([]);
    trace.setGlobalTracerProvider(provider);
    try {
      expect(tracingOff()).toBe(false);
      await attempt();
      expect(started).toEqual(['capital.attempt', 'GET']);
    } finally {
      trace.disable();
    }
    expect(tracingOff()).toBe(true);
  });
});
