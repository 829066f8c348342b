// A Redis that stops answering (SIGSTOP: the socket stays open, nothing comes back) while
// `capital run --redis` crawls. The run must fail or stop within a bound, say why, and honour
// signals: no step of the shutdown may wait for that Redis forever.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, kill, startRedisServer } from '../../../core/test/integration/fixtures/redis-keyspace.js';
import { assertCliBuilt, type RunningCli, startCli } from '../run-cli.js';

const token = 'frozen-redis-token';

/** Resolves once `check` holds, polling; fails after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('capital run --redis with a Redis that freezes mid-run', () => {
  let redis: ChildProcess;
  let port: number;
  let emulator: RunningEmulator;
  let folder: string;

  beforeEach(async () => {
    assertCliBuilt();
    port = await freePort();
    redis = await startRedisServer(port);
    emulator = await startEmulator({ tokens: [token] });
    folder = await mkdtemp(join(tmpdir(), 'capital-frozen-redis-'));
  });
  afterEach(async () => {
    // A stopped process ignores SIGKILL's delivery until continued on some systems' tooling;
    // SIGCONT first so the kill lands at once.
    redis.kill('SIGCONT');
    await kill(redis);
    await emulator.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** Starts a crawl of 49 pages at 5/s (about 10 s), and freezes Redis once a few pages are in. */
  async function startAndFreeze(retries: string): Promise<RunningCli> {
    const cli = startCli(
      [
        'run',
        'wtd',
        '--search',
        'group',
        '--quiet',
        '--base-url',
        emulator.url,
        '--token',
        token,
        '--rate',
        '5/1s',
        '--retries',
        retries,
        '--redis',
        `redis://127.0.0.1:${port}`,
        '--out',
        join(folder, 'out.ndjson'),
      ],
      { cwd: folder, env: { REDIS_URL: '' }, killAfterMs: 110_000 },
    );
    await until(() => emulator.stats().requests >= 3 || cli.child.exitCode !== null, '3 requests served');
    expect(cli.child.exitCode).toBeNull();
    redis.kill('SIGSTOP');
    return cli;
  }

  it('fails within a bound, non-zero, with the error printed', async () => {
    const cli = await startAndFreeze('0');
    const frozenAt = Date.now();
    const result = await cli.exited;
    const seconds = (Date.now() - frozenAt) / 1000;
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/capital: error: .*Redis/);
    // The limiter waits 5 s for an answer; closing the connection waits at most a few seconds more.
    expect(seconds).toBeLessThan(30);
  });

  it('stops on SIGINT while stuck on the frozen Redis, and exits 130', async () => {
    // With retries, the crawl would keep waiting on Redis for a long while: the signal ends it.
    const cli = await startAndFreeze('5');
    // Give it time to send a reserve to the frozen Redis (one goes out every 200 ms at 5/s); the
    // signal must end the run whether or not one is waiting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const signalledAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.exited;
    const seconds = (Date.now() - signalledAt) / 1000;
    expect(result.signal).toBeNull();
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted');
    expect(seconds).toBeLessThan(30);
  });

  it('exits at once, 130, on a second SIGINT', async () => {
    const cli = await startAndFreeze('5');
    cli.child.kill('SIGINT');
    await until(() => cli.stderr().includes('stopping'), 'the first signal to be acknowledged');
    const signalledAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    // A bounded clean stop takes seconds here (the limiter waits on Redis); exiting at once does not.
    expect(Date.now() - signalledAt).toBeLessThan(3000);
  });
});
