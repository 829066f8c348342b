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
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../run-cli.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every test waits on states; on a busy 2-core machine they may take long to come. */
const stateTimeoutMs = 150_000;

/** Listings enough for crawls that outlast every test. */
const dataset = generateListings({ size: 100_000 });

type Learnt = { readonly rate: number; readonly cutAtRate: number; readonly announced: number };

describe('capital run --rate auto: the rate learnt in Redis, shared by several processes', () => {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  let emulator: RunningEmulator | undefined;
  let folder: string | undefined;
  let prefix = '';
  let processes: RunningCli[] = [];

  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
  });
  afterEach(async () => {
    for (const cli of processes) cli.child.kill('SIGKILL');
    await Promise.all(processes.map((cli) => cli.exited.catch(() => undefined)));
    processes = [];
    await emulator?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  /**
   * An API allowing 10 requests per rolling second per token, with 85,000 listings matching `a`
   * (1,700 pages: more than the test needs), and `count` `capital run` processes with one
   * token and `--rate auto`, sharing the learnt rate through Redis.
   */
  async function start(count: number, options: EmulatorOptions): Promise<void> {
    const token = `auto-${randomBytes(6).toString('hex')}`;
    prefix = `capital-test:auto:${randomBytes(6).toString('hex')}:`;
    emulator = await startEmulator({
      tokens: [token],
      dataset,
      rateLimit: { limit: 10, windowMs: 1000 },
      ...options,
    });
    folder = await mkdtemp(join(tmpdir(), 'capital-auto-'));
    const url = emulator.url;
    const cwd = folder;
    processes = Array.from({ length: count }, (_, index) =>
      startCli(
        [
          'run',
          'wtd',
          '--search',
          'a',
          '--quiet',
          '--base-url',
          url,
          '--token',
          token,
          '--out',
          join(cwd, `${index}.ndjson`),
          '--rate',
          'auto',
          '--redis',
          redisUrl,
          '--limiter-prefix',
          prefix,
          // Bare 429s come with no Retry-After: a task may meet several before the rate is cut.
          '--retries',
          '30',
        ],
        { cwd, env: { REDIS_URL: '' }, killAfterMs: 2 * stateTimeoutMs },
      ),
    );
  }

  /** The learnt rate, as the processes left it in Redis (one token, so one key). */
  async function learnt(): Promise<Learnt | undefined> {
    const keys = (await redis.keys(`${prefix}*:rate`)).filter((key) => !key.includes('\u0000'));
    if (keys.length !== 1 || keys[0] === undefined) return undefined;
    const [rate, cutAtRate, announced] = await redis.hmget(keys[0], 'r', 'w', 'a');
    return { rate: Number(rate), cutAtRate: Number(cutAtRate), announced: Number(announced) };
  }

  /** Polls Redis until `done` holds of the learnt rate; fails when a process exits first. */
  async function waitForLearnt(what: string, done: (learnt: Learnt) => boolean): Promise<Learnt> {
    const deadline = Date.now() + stateTimeoutMs;
    let last: Learnt | undefined;
    while (Date.now() < deadline) {
      last = await learnt();
      if (last !== undefined && done(last)) return last;
      for (const cli of processes) {
        if (cli.child.exitCode !== null) throw new Error(`capital exited early; stderr:\n${cli.stderr()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the learnt rate never came to ${what}; last ${JSON.stringify(last)}`);
  }

  it(
    'jumps to a limit the API announces only in RateLimit-* headers, times the safety factor',
    async () => {
      await start(2, { rateLimitHeaders: 'ratelimit', retryAfter: false });
      const announced = await waitForLearnt('the announced 10/s × 0.92', (state) => state.announced === 9.2);
      expect(announced.rate).toBeLessThanOrEqual(9.2);
      await waitForLearnt('9.2/s', (state) => state.rate === 9.2);
    },
    stateTimeoutMs + 30_000,
  );

  it(
    'with bare 429s and no headers, converges near the limit from a conservative start',
    async () => {
      await start(2, { retryAfter: false });
      const first = await learnt();
      expect(first === undefined || first.rate <= 3).toBe(true);
      // Past the first 429 (the rate doubled its way up), then settled in a band around 10/s.
      await waitForLearnt(
        'a cut, then 7 to 10.5 per second',
        (state) => state.cutAtRate > 0 && state.rate >= 7 && state.rate <= 10.5,
      );
      expect(emulator?.stats().byStatus[429] ?? 0).toBeGreaterThan(0);
    },
    stateTimeoutMs + 30_000,
  );

  it(
    'follows a limit that drops mid-run down, and back up once it recovers',
    async () => {
      await start(2, { retryAfter: false });
      await waitForLearnt(
        'a cut, then 6 per second or more',
        (state) => state.cutAtRate > 0 && state.rate >= 6,
      );
      emulator?.setRateLimit({ limit: 4 });
      await waitForLearnt('4.4 per second or less', (state) => state.rate <= 4.4);
      emulator?.setRateLimit({ limit: 10 });
      await waitForLearnt('back to 7 per second or more', (state) => state.rate >= 7);
    },
    3 * stateTimeoutMs,
  );
});
