import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { type Pool, escapeIdentifier as q } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminPool, dropSchema, schemaName, serverUrl } from './fixtures/postgres.js';

// The real `capital` command in a process of its own, killed with SIGKILL midway: nothing runs
// on the way out, so only what was committed survives.

const bin = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url));
const builtSink = new URL('../../dist/postgres/postgres-sink.js', import.meta.url);
const sourceSink = new URL('../../src/postgres/postgres-sink.ts', import.meta.url);

const expectedSymbols = searchListings(generateListings(), 'new york')
  .map((listing) => listing.symbol)
  .sort();

let admin: Pool;
let emulator: RunningEmulator;
let schema: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (
    !existsSync(bin) ||
    !existsSync(builtSink) ||
    statSync(builtSink).mtimeMs < statSync(sourceSink).mtimeMs
  ) {
    throw new Error(
      'packages/cli/dist or packages/sinks/dist is missing or older than the sources: run `pnpm build`.',
    );
  }
  admin = adminPool();
  emulator = await startEmulator({ rateLimit: false });
});
afterAll(async () => {
  await emulator.close();
  await admin.end();
});
beforeEach(() => {
  schema = schemaName();
  emulator.resetStats();
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await dropSchema(admin, schema);
});

/** `capital run wtd --search "new york" --sink postgres://… --rate 2/1s` against the test's emulator. */
function capitalRun(): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<[number | null, string | null]>;
} {
  const url = `${serverUrl}?schema=${schema}&table=listings`;
  const child = spawn(
    process.execPath,
    [
      bin,
      'run',
      'wtd',
      '--search',
      'new york',
      '--sink',
      url,
      '--rate',
      '2/1s',
      '--base-url',
      emulator.url,
      '--quiet',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WTD_API_TOKEN: 'demo' } },
  );
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return {
    child,
    output: () => output,
    exit: once(child, 'exit') as Promise<[number | null, string | null]>,
  };
}

async function storedPages(): Promise<number> {
  try {
    const result = await admin.query(`SELECT count(*) AS n FROM ${q(schema)}.listings__pages`);
    return Number(result.rows[0].n);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '3F000')
      return 0;
    throw error;
  }
}

describe('capital run wtd --sink postgres://, killed with SIGKILL midway', () => {
  it('resumes to every listing exactly once, without fetching the stored pages again', async () => {
    // The emulator answers a few pages, then holds its answers: the run is frozen mid-crawl
    // with those pages stored, however fast or slow the machine is.
    const letThrough = randomInt(2, 8);
    emulator.hold(letThrough);
    const first = capitalRun();
    const deadline = Date.now() + 60_000;
    while (emulator.heldRequests() === 0 || (await storedPages()) < letThrough) {
      if (first.child.exitCode !== null) throw new Error(`capital exited early:\n${first.output()}`);
      if (Date.now() > deadline)
        throw new Error(`${letThrough} pages not stored within 60 s:\n${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    first.child.kill('SIGKILL');
    expect((await first.exit)[1]).toBe('SIGKILL');
    // The held answers go to a closed socket; they are counted before the stats are reset below.
    emulator.release();

    // Every stored page has all its records, and no record is there without its page.
    const pages = await admin.query<{ page: number; records: number; stored: string }>(
      `SELECT r.page, p.records, count(*) AS stored
       FROM ${q(schema)}.listings__pages p JOIN ${q(schema)}.listings r USING (task_key)
       GROUP BY r.page, p.records ORDER BY r.page`,
    );
    const total = await admin.query(`SELECT count(*) AS n FROM ${q(schema)}.listings`);
    const stored = pages.rows.map((row) => row.page);
    expect(stored.length).toBe(letThrough);
    for (const row of pages.rows) expect(Number(row.stored)).toBe(row.records);
    expect(Number(total.rows[0].n)).toBe(pages.rows.reduce((sum, row) => sum + row.records, 0));
    emulator.resetStats();

    const second = capitalRun();
    const [code] = await second.exit;

    expect(code, second.output()).toBe(0);
    const symbols = await admin.query<{ symbol: string }>(
      `SELECT record->>'symbol' AS symbol FROM ${q(schema)}.listings`,
    );
    expect(symbols.rows.map((row) => row.symbol).sort()).toEqual(expectedSymbols);
    const fetchedAgain = emulator
      .stats()
      .pages.filter((page) => page.searchTerm === 'new york')
      .map((page) => page.page);
    expect(fetchedAgain.filter((page) => stored.includes(page))).toEqual([]);
    expect(fetchedAgain.sort((a, b) => a - b)).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].filter((n) => !stored.includes(n)),
    );
  });
});
