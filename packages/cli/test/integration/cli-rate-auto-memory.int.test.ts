// `capital run --rate auto` without Redis: the rate is learnt in the one process, by the same
// policy as the Redis scripts, against the emulators of cli-rate-auto.int.test.ts. The learnt
// rate is read from the run's progress lines (`rate learnt 9.20/s`), as a user sees it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EmulatorOptions,
  generateListings,
  type RunningEmulator,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../run-cli.js';

/** Every test waits on states; on a busy 2-core machine they may take long to come. */
const stateTimeoutMs = 150_000;

/** Listings enough for crawls that outlast every test. */
const dataset = generateListings({ size: 100_000 });

describe('capital run --rate auto without Redis: the rate learnt in one process', () => {
  let emulator: RunningEmulator | undefined;
  let folder: string | undefined;
  let cli: RunningCli | undefined;

  afterEach(async () => {
    cli?.child.kill('SIGKILL');
    await cli?.exited.catch(() => undefined);
    cli = undefined;
    await emulator?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /**
   * An API allowing 10 requests per rolling second per token (1,700 pages matching `a`: more
   * than the test needs), and one `capital run` with `--rate auto` and no Redis.
   */
  async function start(options: EmulatorOptions): Promise<void> {
    const token = `auto-${randomBytes(6).toString('hex')}`;
    emulator = await startEmulator({
      tokens: [token],
      dataset,
      rateLimit: { limit: 10, windowMs: 1000 },
      ...options,
    });
    folder = await mkdtemp(join(tmpdir(), 'capital-auto-memory-'));
    cli = startCli(
      [
        'run',
        'wtd',
        '--search',
        'a',
        '--base-url',
        emulator.url,
        '--token',
        token,
        '--out',
        join(folder, 'out.ndjson'),
        '--rate',
        'auto',
        // Bare 429s come with no Retry-After: a task may meet several before the rate is cut.
        '--retries',
        '30',
      ],
      { cwd: folder, env: { REDIS_URL: '' }, killAfterMs: 3 * stateTimeoutMs },
    );
  }

  /** The rates the progress lines gave so far, oldest first. */
  function learnt(): number[] {
    return [...(cli?.stderr() ?? '').matchAll(/rate learnt (\d+\.\d+)\/s/g)].map((match) => Number(match[1]));
  }

  /** Waits until the latest learnt rate printed satisfies `done`; fails when the run exits first. */
  async function waitForLearnt(what: string, done: (rate: number) => boolean): Promise<number> {
    const deadline = Date.now() + stateTimeoutMs;
    while (Date.now() < deadline) {
      const latest = learnt().at(-1);
      if (latest !== undefined && done(latest)) return latest;
      if (cli?.child.exitCode !== null) throw new Error(`capital exited early; stderr:\n${cli?.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `the learnt rate never came to ${what}; answers ${JSON.stringify(emulator?.stats().byStatus)}; stderr:\n${cli?.stderr().slice(-3000)}`,
    );
  }

  it(
    'says it learns the rate, starts at 1/s, and jumps to a limit announced only in RateLimit-* headers × 0.92',
    async () => {
      await start({ rateLimitHeaders: 'ratelimit', retryAfter: false });
      await waitForLearnt('9.20/s', (rate) => rate === 9.2);
      expect(cli?.stderr()).toContain('rate auto (learnt from the API)');
      expect(learnt().every((rate) => rate <= 9.2)).toBe(true);
    },
    stateTimeoutMs + 30_000,
  );

  it(
    'with bare 429s and no headers, converges near the limit from a conservative start',
    async () => {
      await start({ retryAfter: false });
      await waitForLearnt(
        'a cut, then 7 to 10.5 per second',
        (rate) => (emulator?.stats().byStatus[429] ?? 0) > 0 && rate >= 7 && rate <= 10.5,
      );
      expect(learnt()[0]).toBeLessThanOrEqual(3);
    },
    stateTimeoutMs + 30_000,
  );

  it(
    'follows a limit that drops mid-run down, and back up once it recovers',
    async () => {
      await start({ retryAfter: false });
      await waitForLearnt(
        'a cut, then 6 per second or more',
        (rate) => (emulator?.stats().byStatus[429] ?? 0) > 0 && rate >= 6,
      );
      emulator?.setRateLimit({ limit: 4 });
      await waitForLearnt('4.4 per second or less', (rate) => rate <= 4.4);
      emulator?.setRateLimit({ limit: 10 });
      await waitForLearnt('back to 7 per second or more', (rate) => rate >= 7);
    },
    3 * stateTimeoutMs,
  );
});
