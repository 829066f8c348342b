// `capital run --sink postgres://…` while its PostgreSQL restarts, or goes away for good. The
// cluster is the test's own (initdb in a temporary folder, a free port): the shared server on
// 5432 is never stopped.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { Pool } from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OwnPostgres, startOwnPostgres } from '../../../sinks/test/integration/fixtures/own-postgres.js';
import { assertCliBuilt, type RunningCli, startCli } from '../run-cli.js';

const token = 'pg-restart-token';
const searchTerm = 'group';
const expectedSymbols = searchListings(generateListings(), searchTerm)
  .map((listing) => listing.symbol)
  .sort();

/** Resolves once `check` holds, polling; fails after `timeoutMs`. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('capital run into a PostgreSQL that restarts mid-run', () => {
  let postgres: OwnPostgres;
  let emulator: RunningEmulator;
  let folder: string;
  let pool: Pool;

  beforeEach(async () => {
    assertCliBuilt();
    postgres = await startOwnPostgres();
    pool = new Pool({ connectionString: postgres.url, max: 1 });
    pool.on('error', () => {});
    emulator = await startEmulator({ tokens: [token], rateLimit: false });
    folder = await mkdtemp(join(tmpdir(), 'capital-pg-restart-'));
  });
  afterEach(async () => {
    await pool.end().catch(() => {});
    await postgres.destroy();
    await emulator.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** 49 pages at 4/s: about 12 s, long enough for a restart to land mid-run. */
  function startRun(extra: readonly string[] = []): RunningCli {
    return startCli(
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
        '--rate',
        '4/1s',
        '--sink',
        postgres.url,
        ...extra,
      ],
      { cwd: folder, env: { REDIS_URL: '' }, killAfterMs: 110_000 },
    );
  }

  /** Pages stored so far; 0 while the table is not there or the server is down. */
  async function pagesStored(): Promise<number> {
    try {
      const { rows } = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM public.wtd_stock_search__pages',
      );
      return rows[0]?.n ?? 0;
    } catch {
      return 0;
    }
  }

  it('goes on after a restart and stores every listing exactly once', async () => {
    const cli = startRun();
    await until(async () => (await pagesStored()) >= 3 || cli.child.exitCode !== null, '3 pages stored');
    expect(cli.child.exitCode).toBeNull();

    await postgres.stop();
    // Down for a while, as a restart that replays its log would be.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await postgres.start();
    // The restart landed mid-run: the crawl had pages left to store when the server came back.
    expect(cli.child.exitCode).toBeNull();

    const result = await cli.exited;
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const { rows } = await pool.query<{ record_key: string }>(
      'SELECT record_key FROM public.wtd_stock_search ORDER BY record_key COLLATE "C"',
    );
    expect(rows.map((row) => row.record_key)).toEqual([...expectedSymbols].sort());
    expect(await pagesStored()).toBe(49);
  });

  it('fails cleanly once the retry budget is spent when the server stays down, saying how long it tried', async () => {
    const cli = startRun(['--sink-retry-budget', '3s']);
    await until(async () => (await pagesStored()) >= 3 || cli.child.exitCode !== null, '3 pages stored');
    expect(cli.child.exitCode).toBeNull();

    await postgres.stop();
    const stoppedAt = Date.now();
    const result = await cli.exited;
    const seconds = (Date.now() - stoppedAt) / 1000;

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /capital: error: .*PostgreSQL sink .*gave up after \d+ attempts in [3-9]\.\d s/,
    );
    // The budget, a connect timeout at most, and the way out.
    expect(seconds).toBeLessThan(3 + 20);
  });
});
