import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCliBuilt, type RunningCli, startCli } from '../run-cli.js';
import { type Sample, sampled, scrape, waitFor } from '../scrape.js';

const token = 'prom-test-token-2c9d41';
let folder: string;
let emulator: RunningEmulator | undefined;
let cli: RunningCli | undefined;

beforeAll(() => assertCliBuilt());
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-prom-'));
});
afterEach(async () => {
  emulator?.release();
  if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await cli?.exited.catch(() => {});
  await emulator?.close();
  emulator = undefined;
  cli = undefined;
  await rm(folder, { recursive: true, force: true });
});

/** Listings on a page of the "new york" search: 50 a page, 31 on the 9th. */
const recordsOn = (page: number) => (page < 9 ? 50 : 31);

describe('capital run --metrics-port', () => {
  it('serves /metrics whose counters match what the emulator answered, mid-crawl', async () => {
    emulator = await startEmulator({ tokens: [token], burst429Rate: 0.25, seed: 3 });
    const api = emulator;
    // Five answers go through, then the crawl freezes with its next requests held: a known state.
    api.hold(5);
    cli = startCli(
      [
        'run',
        'wtd',
        '--search',
        'new york',
        '--base-url',
        api.url,
        '--token',
        token,
        '--out',
        join(folder, 'out.ndjson'),
        '--quiet',
        '--metrics-port',
        '0',
      ],
      { cwd: folder },
    );
    const running = cli;
    await waitFor(
      () => /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.test(running.stderr()),
      20_000,
      running.stderr,
    );
    const url = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(running.stderr())?.[1] ?? '';

    // The state that must come: every answer let through has been counted by the crawl, and
    // every attempt it started has reached the emulator (held there): one started but not yet
    // arrived (on a loaded machine, a permit granted a moment before the scrape) would count in
    // flight without being held.
    let samples: Sample[] = [];
    const answered = () => Object.values(api.stats().byStatus).reduce((sum, count) => sum + count, 0);
    await waitFor(
      async () => {
        samples = await scrape(url);
        const counted =
          sampled(samples, 'capital_pages_total') + sampled(samples, 'capital_http_throttled_total');
        const held = api.heldRequests();
        return (
          held > 0 &&
          answered() === 5 &&
          counted === 5 &&
          sampled(samples, 'capital_pages_in_flight') === held
        );
      },
      60_000,
      () =>
        `held ${api.heldRequests()}, stats ${JSON.stringify(api.stats())}, scraped ${JSON.stringify(samples.filter((s) => s.name.startsWith('capital_')))}`,
    );

    const stats = api.stats();
    expect(stats.byStatus[429], 'the seed makes a 429 among the first answers').toBeGreaterThan(0);
    expect(sampled(samples, 'capital_pages_total', { capital_task_type: 'wtd.stock_search' })).toBe(
      stats.byStatus[200] ?? 0,
    );
    expect(sampled(samples, 'capital_http_throttled_total')).toBe(stats.byStatus[429] ?? 0);
    expect(sampled(samples, 'capital_retries_total', { capital_retry_cause: 'http_429' })).toBe(
      stats.byStatus[429] ?? 0,
    );
    expect(sampled(samples, 'capital_records_total')).toBe(
      stats.pages.reduce((sum, page) => sum + page.served * recordsOn(page.page), 0),
    );
    expect(sampled(samples, 'capital_pages_in_flight')).toBe(api.heldRequests());
    // Every attempt that got a permit: the answered ones and the held ones.
    expect(sampled(samples, 'capital_limiter_wait_seconds_count')).toBe(answered() + api.heldRequests());
    expect(sampled(samples, 'capital_http_bytes_total')).toBeGreaterThan(0);
    expect(sampled(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    api.release();
    const result = await running.exited;
    expect(result.code, result.stderr).toBe(0);
  });

  it('answers 404 outside /metrics and refuses a port that is taken', async () => {
    emulator = await startEmulator({ tokens: [token] });
    emulator.hold();
    cli = startCli(
      [
        'run',
        'wtd',
        '--search',
        'new york',
        '--base-url',
        emulator.url,
        '--token',
        token,
        '--quiet',
        '--metrics-port',
        '0',
      ],
      { cwd: folder },
    );
    const running = cli;
    await waitFor(() => /metrics at (http:\S+)/.test(running.stderr()), 20_000, running.stderr);
    const url = /metrics at (http:\S+)/.exec(running.stderr())?.[1] ?? '';
    expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
    const port = new URL(url).port;

    const second = startCli(
      [
        'run',
        'wtd',
        '--search',
        'new york',
        '--base-url',
        emulator.url,
        '--token',
        token,
        '--quiet',
        '--metrics-port',
        port,
      ],
      { cwd: folder },
    );
    const refused = await second.exited;
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`Cannot serve metrics on 127.0.0.1:${port}`);
  });
});
