// Crash points of runs and write dispositions: a real `capital run` killed with SIGKILL — at a
// page boundary (the emulator answers k pages, then holds every answer, so the run is frozen
// there however fast or slow the machine), or inside a write (a trigger sleeps in the
// transaction that stores a batch or finishes the run) — then run again. After the resume the
// stored data must equal an uninterrupted run's; after a crashed `replace`, the old data must be
// intact. Old data is a marker record stored before: merge and append keep it, replace drops it.
import { randomInt } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { type Pool, escapeIdentifier as q } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adminPool,
  dropSchema,
  schemaName,
  serverUrl,
} from '../../../sinks/test/integration/fixtures/postgres.js';
import { assertCliBuilt, type RunningCli, startCli } from '../run-cli.js';

type Disposition = 'append' | 'merge' | 'replace';

const token = 'crash-token';
const listings = searchListings(generateListings(), 'new york');
/** An uninterrupted run's data: every listing once, as `symbol JSON` lines, sorted. */
const uninterrupted = listings.map((listing) => `${listing.symbol} ${canonical(listing)}`).sort();
const marker = { symbol: 'ZZZ.OLD', name: 'stored before the run' };
const markerLine = `${marker.symbol} ${canonical(marker)}`;

/** What the job's data must be once the run finished: the old data kept, or replaced. */
function expectedAfter(disposition: Disposition): string[] {
  return disposition === 'replace' ? uninterrupted : [...uninterrupted, markerLine].sort();
}

let emulator: RunningEmulator;
let folder: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  assertCliBuilt();
  emulator = await startEmulator({ tokens: [token], rateLimit: false });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  emulator.release();
  emulator.resetStats();
  folder = await mkdtemp(join(tmpdir(), 'capital-crash-'));
});
afterEach(async () => {
  emulator.release();
  for (const cli of running.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.exited;
  }
  await rm(folder, { recursive: true, force: true });
});

function capitalRun(sink: string, disposition: Disposition, extra: readonly string[] = []): RunningCli {
  const cli = startCli(
    [
      'run',
      'wtd',
      '--search',
      'new york',
      '--sink',
      sink,
      '--write',
      disposition,
      '--rate',
      'off',
      '--quiet',
      '--base-url',
      emulator.url,
      '--token',
      token,
      ...extra,
    ],
    { cwd: folder, env: { REDIS_URL: '' } },
  );
  running.push(cli);
  return cli;
}

async function until(what: string, cli: RunningCli, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (cli.child.exitCode !== null) throw new Error(`capital exited before ${what}:\n${cli.stderr()}`);
    if (Date.now() > deadline) throw new Error(`not ${what} within 60 s:\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function kill(cli: RunningCli): Promise<void> {
  cli.child.kill('SIGKILL');
  expect((await cli.exited).signal).toBe('SIGKILL');
}

async function finish(cli: RunningCli): Promise<string> {
  const result = await cli.exited;
  expect(result.code, result.stderr).toBe(0);
  return result.stderr;
}

describe('PostgreSQL: a run killed with SIGKILL, then resumed', () => {
  let admin: Pool;
  let schema: string;
  const sink = () => `${serverUrl}?schema=${schema}&table=listings`;
  const table = () => `${q(schema)}.listings`;

  beforeAll(() => {
    admin = adminPool();
  });
  afterAll(async () => {
    await admin.end();
  });
  beforeEach(async () => {
    schema = schemaName();
  });
  afterEach(async () => {
    await dropSchema(admin, schema);
  });

  /** The job's data, as `symbol JSON` lines, sorted (jsonb orders keys its own way: parse and restringify by the listing's order). */
  async function stored(): Promise<string[]> {
    const rows = await admin.query<{ record_key: string; record: Record<string, unknown> }>(
      `SELECT record_key, record FROM ${table()}`,
    );
    return rows.rows.map((row) => `${row.record_key} ${canonical(row.record)}`).sort();
  }

  /** A finished run with the marker as its only record, so there is old data to keep or replace. */
  async function oldData(disposition: Disposition): Promise<void> {
    const first = capitalRun(sink(), disposition);
    await finish(first);
    await admin.query(`DELETE FROM ${table()}`);
    await admin.query(`INSERT INTO ${table()} (record_key, record) VALUES ($1, $2)`, [marker.symbol, marker]);
  }

  async function recordsOfOpenRun(): Promise<number> {
    const result = await admin.query(
      `SELECT coalesce(sum(p.records), 0)::int AS n FROM ${q(schema)}.listings__pages p
       JOIN ${q(schema)}.listings__runs r USING (run_id) WHERE r.state <> 'finished'`,
    );
    return result.rows[0].n;
  }

  async function storedPagesOfOpenRun(): Promise<number> {
    const result = await admin.query(
      `SELECT count(*)::int AS n FROM ${q(schema)}.listings__pages p
       JOIN ${q(schema)}.listings__runs r USING (run_id) WHERE r.state <> 'finished'`,
    );
    return result.rows[0].n;
  }

  describe.each(['merge', 'append', 'replace'] as const)('--write %s', (disposition) => {
    // Page boundaries: the first page, one chosen at random, and the last but one.
    it.each([1, randomInt(2, 7), 8])(
      'killed after %i pages were stored: the resume skips them and ends with an uninterrupted run’s data',
      async (k) => {
        await oldData(disposition);
        emulator.hold(k);
        emulator.resetStats();
        const killed = capitalRun(sink(), disposition);
        await until(
          `${k} pages stored`,
          killed,
          async () => emulator.heldRequests() > 0 && (await storedPagesOfOpenRun()) === k,
        );
        await kill(killed);
        // replace: the old data intact; merge, append: the old data and the k committed pages' records.
        const afterKill = await stored();
        if (disposition === 'replace') expect(afterKill).toEqual([markerLine]);
        else expect(afterKill).toHaveLength(1 + (await recordsOfOpenRun()));
        expect(afterKill).toContain(markerLine);
        emulator.release();
        emulator.resetStats();

        const resumed = capitalRun(sink(), disposition);
        const stderr = await finish(resumed);

        expect(stderr).toMatch(new RegExp(`resuming run [0-9a-f]{8} \\(interrupted, ${k} pages? stored\\)`));
        expect(emulator.stats().pages.filter((page) => page.searchTerm === 'new york')).toHaveLength(9 - k);
        expect(await stored()).toEqual(expectedAfter(disposition));
      },
    );

    it('killed at a random point inside a batch transaction: the batch is rolled back, the resume ends with an uninterrupted run’s data', async () => {
      await oldData(disposition);
      await sleepInside(`${q(schema)}.listings__pages`, 'INSERT');
      const killed = capitalRun(sink(), disposition);
      await until('a batch transaction sleeping', killed, () => sleeping());
      await new Promise((resolve) => setTimeout(resolve, randomInt(0, 300)));
      await kill(killed);
      const afterKill = await stored();
      if (disposition === 'replace') expect(afterKill).toEqual([markerLine]);
      // Only the records of pages checkpointed: the sleeping batch was rolled back whole.
      if (disposition !== 'replace') expect(afterKill).toHaveLength(1 + (await recordsOfOpenRun()));
      await admin.query(`DROP TRIGGER capital_test_sleep ON ${q(schema)}.listings__pages`);

      await finish(capitalRun(sink(), disposition));

      expect(await stored()).toEqual(expectedAfter(disposition));
    });
  });

  it('--write replace killed inside the transaction of the last page, which swaps the tables: the old table is intact, and the resume swaps', async () => {
    await oldData('replace');
    await sleepInside(`${q(schema)}.listings__runs`, 'UPDATE', "NEW.state = 'finished'");
    const killed = capitalRun(sink(), 'replace');
    await until('the swap transaction sleeping', killed, () => sleeping());
    await kill(killed);

    expect(await stored()).toEqual([markerLine]);
    const runs = await admin.query(`SELECT state FROM ${q(schema)}.listings__runs ORDER BY started_at`);
    expect(runs.rows.map((row) => row.state)).toEqual(['finished', 'running']);
    await admin.query(`DROP TRIGGER capital_test_sleep ON ${q(schema)}.listings__runs`);
    emulator.resetStats();

    const stderr = await finish(capitalRun(sink(), 'replace'));

    // The swap shares its transaction with the last page (and the pages batched with it): they
    // were rolled back together, and the resume fetches them again.
    const resumed = /resuming run [0-9a-f]{8} \(interrupted, (\d+) pages? stored\)/.exec(stderr);
    const storedBefore = Number(resumed?.[1]);
    expect(storedBefore).toBeLessThan(9);
    expect(emulator.stats().pages).toHaveLength(9 - storedBefore);
    expect(await stored()).toEqual(uninterrupted);
    const tables = await admin.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual([
      'listings',
      'listings__pages',
      'listings__runs',
    ]);
  });

  /** Makes every `statement` on `target` (or each row it changes that matches `when`) sleep 2 s inside its transaction. */
  async function sleepInside(target: string, statement: 'INSERT' | 'UPDATE', when?: string): Promise<void> {
    await admin.query(
      `CREATE FUNCTION ${q(schema)}.capital_test_sleep() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$`,
    );
    await admin.query(
      `CREATE TRIGGER capital_test_sleep AFTER ${statement} ON ${target}
       ${when === undefined ? 'FOR EACH STATEMENT' : `FOR EACH ROW WHEN (${when})`} EXECUTE FUNCTION ${q(schema)}.capital_test_sleep()`,
    );
  }

  async function sleeping(): Promise<boolean> {
    const found = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE $1`,
      [`%${schema}%`],
    );
    return found.rows[0].n > 0;
  }
});

describe('file: a run killed with SIGKILL, then run again', () => {
  const path = () => join(folder, 'listings.ndjson');

  /** Whether the state file beside the output holds a run marked `running`. */
  async function markedRunning(): Promise<boolean> {
    const text = await readFile(join(folder, '.listings.ndjson.runs.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return false;
    const state = JSON.parse(text) as { runs: { state: string }[] };
    return state.runs.some((run) => run.state === 'running');
  }

  async function stored(): Promise<string[]> {
    const text = await readFile(path(), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const { _task_key, _page, _fetched_at, _record_key, ...record } = JSON.parse(line) as Record<
          string,
          unknown
        >;
        return `${String(_record_key)} ${canonical(record)}`;
      })
      .sort();
  }

  describe.each(['merge', 'append', 'replace'] as const)('--write %s', (disposition) => {
    it.each([1, randomInt(2, 9)])(
      'killed after %i pages: the old file is intact, and the next run ends with an uninterrupted run’s data',
      async (k) => {
        await writeFile(path(), `${JSON.stringify({ ...marker, _record_key: marker.symbol })}\n`);
        emulator.hold(k);
        const killed = capitalRun(`file:${path()}`, disposition);
        await until(`${k} pages answered`, killed, async () => emulator.heldRequests() > 0);
        // The run's `running` mark is flushed while its first requests go out: killed before it
        // is in place, the run leaves no trace and the next one starts anew (no resume to see).
        await until('the run marked running', killed, async () => markedRunning());
        await kill(killed);
        expect(await stored()).toEqual([markerLine]);
        emulator.release();

        const resumed = capitalRun(`file:${path()}`, disposition);
        const stderr = await finish(resumed);

        // The file sink keeps no page checkpoints (its partial file dies with its process): the
        // run goes on under its id and fetches every page again.
        expect(stderr).toMatch(/resuming run [0-9a-f]{8} \(interrupted, 0 pages stored\)/);
        expect(await stored()).toEqual(expectedAfter(disposition));
        expect((await readdir(folder)).filter((name) => name.endsWith('.partial'))).toEqual([]);
      },
    );
  });
});

/** A record's JSON with its keys in a fixed order, as two stores may order them differently. */
function canonical(record: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1))));
}
