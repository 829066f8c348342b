import { describe, expect, it } from 'vitest';
import { observeMetrics } from './record-metric.js';
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
