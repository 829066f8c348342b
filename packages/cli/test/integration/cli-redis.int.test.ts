import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../fixtures/wait-for.js';
import { startCli } from '../run-cli.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const token = `shared-${randomBytes(6).toString('hex')}`;
const searchTerm = 'group';
const expected = searchListings(generateListings(), searchTerm).map((listing) => listing.symbol);

async function symbolsIn(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { symbol: string }).symbol);
}

describe('two capital processes with one token against one emulator (10 requests/s per token)', () => {
  let emulator: RunningEmulator;
  let folder: string;
  let prefix: string;
  const redis = new Redis(redisUrl, { lazyConnect: true });

  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(async () => {
    emulator = await startEmulator({ tokens: [token] });
    folder = await mkdtemp(join(tmpdir(), 'capital-redis-'));
    prefix = `capital-test:${randomBytes(6).toString('hex')}:`;
  });
  afterEach(async () => {
    await emulator.close();
    await rm(folder, { recursive: true, force: true });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  /**
   * Two real `capital run wtd` processes at once at 9/s each, writing a.ndjson and b.ndjson.
   * Shared, 9/s holds within the API's 10/s as it counts arrivals (a permit grown too old before
   * its request was written is spent and another taken); apart, 18/s is more than it allows.
   */
  const start = (extra: readonly string[]) =>
    ['a', 'b'].map((name) =>
      startCli(
        [
          'run',
          'wtd',
          '--search',
          searchTerm,
          '--quiet',
          '--base-url',
          emulator.url,
          '--token',
          token,
          '--out',
          join(folder, `${name}.ndjson`),
          '--rate',
          '9/1s',
          ...extra,
        ],
        { cwd: folder, env: { REDIS_URL: '' } },
      ),
    );
  const both = (extra: readonly string[]) => Promise.all(start(extra).map((run) => run.exited));

  it('share the limit through --redis and get no 429 at all', async () => {
    const running = start(['--redis', redisUrl, '--limiter-prefix', prefix]);
    // The limiter's keys live while permits are taken (a second past the last): read them then.
    let keys: string[] = [];
    const readKeys = async () => {
      keys = await redis.keys(`${prefix}*`);
      return keys.length > 0;
    };
    await waitFor(readKeys, 120_000, () => running.map((run) => run.stderr()).join('\n'));
    const runs = await Promise.all(running.map((run) => run.exited));
    for (const run of runs) expect(run).toMatchObject({ code: 0 });
    expect(emulator.stats().byStatus[429] ?? 0).toBe(0);
    for (const name of ['a', 'b'])
      expect((await symbolsIn(join(folder, `${name}.ndjson`))).sort()).toEqual([...expected].sort());
    // The limiter's keys live under the prefix and name no token.
    for (const key of keys) expect(key).not.toContain(token);
  });

  it('without --redis each process keeps its own 9/s, together they exceed the API limit and meet 429s', async () => {
    // The control: it shows the first test would catch a limit that is not shared.
    const runs = await both([]);
    for (const run of runs) expect(run).toMatchObject({ code: 0 });
    expect(emulator.stats().byStatus[429] ?? 0).toBeGreaterThan(0);
  });
});
