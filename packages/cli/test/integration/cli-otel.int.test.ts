import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type ReceivedPoint, startOtlpReceiver } from '../otlp-receiver.js';
import { assertCliBuilt, runCli } from '../run-cli.js';

const token = 'otel-test-token-5b1e7d';
let folder: string;
let emulator: RunningEmulator | undefined;
let receiver: OtlpReceiver | undefined;

beforeAll(() => assertCliBuilt());
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-otel-'));
});
afterEach(async () => {
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
  await rm(folder, { recursive: true, force: true });
});

const total = (points: readonly ReceivedPoint[]): number =>
  points.reduce((sum, point) => sum + (point.value ?? 0), 0);

describe('capital run with OTEL_* variables', () => {
  it('exports a span per attempt with its HTTP call as a child, and metrics matching the emulator', async () => {
    // Seeded 429s: some attempts are throttled and retried, so the counts are worth comparing.
    emulator = await startEmulator({ tokens: [token], burst429Rate: 0.25, seed: 7 });
    receiver = await startOtlpReceiver();
    const out = join(folder, 'out.ndjson');

    const result = await runCli(
      [
        'run',
        'wtd',
        '--search',
        'new york',
        '--base-url',
        emulator.url,
        '--token',
        token,
        '--out',
        out,
        '--quiet',
      ],
      {
        cwd: folder,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SERVICE_NAME: 'capital-otel-test',
        },
      },
    );

    expect(result.code, result.stderr).toBe(0);
    expect(receiver.rejected).toEqual([]);
    const stats = emulator.stats();
    const throttled = stats.byStatus[429] ?? 0;
    expect(throttled).toBeGreaterThan(0);

    const spans = receiver.spans();
    const attempts = spans.filter((span) => span.name === 'capital.attempt');
    const calls = spans.filter((span) => span.name === 'GET');
    expect(attempts).toHaveLength(stats.requests);
    expect(calls).toHaveLength(stats.requests);
    expect(attempts[0]?.resource['service.name']).toBe('capital-otel-test');
    for (const call of calls) {
      const parent = attempts.find((span) => span.spanId === call.parentSpanId);
      expect(parent, 'every HTTP call is the child of an attempt').toBeDefined();
      expect(call.traceId).toBe(parent?.traceId);
      expect(call.kind).toBe(3);
      expect(call.attributes['http.response.status_code']).toBe(
        parent?.attributes['http.response.status_code'],
      );
      expect(call.attributes['capital.task.page']).toBeUndefined();
      expect(String(call.attributes['url.full'])).toContain(
        `page=${parent?.attributes['capital.task.page']}`,
      );
    }
    const ok = attempts.filter((span) => span.attributes['capital.outcome'] === 'ok');
    expect(
      ok.map((span) => span.attributes['capital.task.page']).sort((a, b) => Number(a) - Number(b)),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ok.reduce((sum, span) => sum + Number(span.attributes['capital.records']), 0)).toBe(431);
    for (const span of ok) {
      expect(span.attributes).toMatchObject({
        'capital.task.type': 'wtd.stock_search',
        'http.response.status_code': 200,
      });
      expect(span.attributes['capital.task.key']).toMatch(/^[0-9a-f]{64}$/);
      expect(span.attributes['capital.limiter.wait_ms']).toBeGreaterThanOrEqual(0);
    }
    const retried = attempts.filter((span) => span.attributes['capital.outcome'] === 'retryable_error');
    expect(retried).toHaveLength(throttled);
    expect(retried.every((span) => span.attributes['http.response.status_code'] === 429)).toBe(true);
    expect(Math.max(...attempts.map((span) => Number(span.attributes['capital.attempt'])))).toBeGreaterThan(
      1,
    );
    expect(JSON.stringify(spans)).not.toContain(token);

    expect(total(receiver.latest('capital.pages'))).toBe(stats.byStatus[200]);
    expect(total(receiver.latest('capital.records'))).toBe(431);
    expect(total(receiver.latest('capital.http.throttled'))).toBe(throttled);
    expect(receiver.latest('capital.retries')).toEqual([
      expect.objectContaining({ attributes: { 'capital.retry.cause': 'http_429' }, value: throttled }),
    ]);
    expect(total(receiver.latest('capital.http.bytes'))).toBeGreaterThan(431 * 50);
    expect(total(receiver.latest('capital.pages.in_flight'))).toBe(0);
    expect(receiver.latest('capital.limiter.wait')[0]?.count).toBe(stats.requests);
    expect(receiver.latest('capital.sink.write.duration')[0]?.count).toBe(9);
  });
});
