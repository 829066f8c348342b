import type { RunInfo, RunState, WriteDisposition } from '@capital/core';
import type { PoolClient } from 'pg';
import { escapeIdentifier } from 'pg';
import {
  chooseRun,
  keptRunsPerJob,
  latestWatermark,
  newRunId,
  type OpenedRun,
  type OpenRunOptions,
  RunNotFoundError,
  runAgain,
} from '../runs.js';
import type { QuotedNames } from './postgres-sink-options.js';
import { prefixOf } from './quote-identifier.js';
import { sqlFile } from './sql-files.js';

/** What the run statements need to know of a sink. */
export type RunTables = {
  readonly names: QuotedNames;
  /** The records table's name as given, to derive the build table's from. */
  readonly table: string;
  readonly job: string;
  readonly disposition: WriteDisposition;
};

type RunRow = {
  run_id: string;
  job: string;
  state: RunState;
  disposition: WriteDisposition;
  started_at: Date;
  finished_at: Date | null;
  pages: number;
  since: string | null;
  watermark: string | null;
  resume_at: Date | null;
};

const qualified = (names: QuotedNames, table: string): string => `${names.schema}.${table}`;

/**
 * The table a `replace` run writes into, `<table>__build_<run id>`, quoted; the table's name is
 * cut (by whole characters) so the whole stays within PostgreSQL's 63 bytes.
 */
export function buildTableOf(table: string, runId: string): string {
  return escapeIdentifier(`${prefixOf(table, 48)}__build_${runId}`);
}

/** The job's runs, newest first. */
export async function listRuns(client: PoolClient, tables: RunTables): Promise<RunInfo[]> {
  const { names } = tables;
  const found = await client.query<RunRow>(
    sqlFile('list-runs', {
      runs: qualified(names, names.runsTable),
      pages: qualified(names, names.pagesTable),
    }),
    [tables.job],
  );
  return found.rows.map(toRunInfo);
}

/**
 * Opens the run the sink writes, in one transaction under the job's lock: resumes the one
 * `chooseRun` picks (`running` again), or inserts a new one; a new `replace` run creates its
 * empty build table, shaped like the records table but without its indexes (made once, when
 * the run finishes). Unfinished runs a new one supersedes are marked `interrupted`, and the
 * job's runs beyond its history ({@link keptRunsPerJob}) are deleted.
 */
export async function openRun(
  client: PoolClient,
  tables: RunTables,
  options: OpenRunOptions,
): Promise<OpenedRun> {
  const { names } = tables;
  const runsTable = qualified(names, names.runsTable);
  await client.query('BEGIN');
  try {
    await client.query(sqlFile('lock-job'), [`${runsTable} ${tables.job}`]);
    const runs = await listRuns(client, tables);
    const resumed = chooseRun(runs, options.choice ?? { kind: 'auto' }, tables.disposition);
    const watermark = latestWatermark(runs);
    let run: RunInfo;
    if (resumed !== undefined) {
      await client.query(`UPDATE ${runsTable} SET state = 'running', resume_at = NULL WHERE run_id = $1`, [
        resumed.id,
      ]);
      run = runAgain(resumed);
    } else {
      await client.query(
        `UPDATE ${runsTable} SET state = 'interrupted' WHERE job = $1 AND state = 'running'`,
        [tables.job],
      );
      const inserted = await client.query<RunRow>(
        `INSERT INTO ${runsTable} (run_id, job, state, disposition, started_at, since)
         VALUES ($1, $2, 'running', $3, now(), $4) RETURNING *`,
        [newRunId(), tables.job, tables.disposition, options.since?.(watermark) ?? null],
      );
      run = toRunInfo({ ...(inserted.rows[0] as RunRow), pages: 0 });
      await pruneRuns(client, tables);
    }
    if (tables.disposition === 'replace') {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${qualified(names, buildTableOf(tables.table, run.id))}
         (LIKE ${qualified(names, names.table)} INCLUDING DEFAULTS)`,
      );
    }
    await client.query('COMMIT');
    return { run, resumed: resumed !== undefined, pagesStored: run.pages, watermark };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Deletes the job's runs a new run pushed out of its history, with their page checkpoints and
 * the build table an unfinished `replace` run left; called under the job's lock, as a run opens.
 */
async function pruneRuns(client: PoolClient, tables: RunTables): Promise<void> {
  const { names } = tables;
  const runsTable = qualified(names, names.runsTable);
  const beyond = await client.query<Pick<RunRow, 'run_id' | 'disposition' | 'state'>>(
    sqlFile('runs-beyond-history', { runs: runsTable }),
    [tables.job, keptRunsPerJob],
  );
  if (beyond.rows.length === 0) return;
  for (const run of beyond.rows) {
    // A finished replace run's build table became the records table.
    if (run.disposition === 'replace' && run.state !== 'finished') {
      await client.query(`DROP TABLE IF EXISTS ${qualified(names, buildTableOf(tables.table, run.run_id))}`);
    }
  }
  const ids = beyond.rows.map((run) => run.run_id);
  await client.query(`DELETE FROM ${qualified(names, names.pagesTable)} WHERE run_id = ANY ($1::text[])`, [
    ids,
  ]);
  await client.query(`DELETE FROM ${runsTable} WHERE run_id = ANY ($1::text[])`, [ids]);
}

/**
 * Finishes a run in one transaction: for `replace`, indexes the build table like the records
 * table and swaps it in (the old table renamed away, the new one renamed in, the old one
 * dropped); then marks the run `finished` with its page count and watermark, and deletes the
 * page checkpoints of the job's earlier finished runs. A failure anywhere rolls all of it back: the old table stays, the run stays
 * unfinished and resumable. A run found finished already (under the job's lock) is left as it
 * is: finishing is idempotent, so several workers may race to finish one run.
 *
 * @returns `true` when this call finished the run, `false` when it was finished already.
 */
export async function finishRun(
  client: PoolClient,
  tables: RunTables,
  runId: string,
  watermark: RunWatermark,
): Promise<boolean> {
  await client.query('BEGIN');
  try {
    const finished = await finishRunIn(client, tables, runId, watermark);
    await client.query('COMMIT');
    return finished;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** A watermark, or how to derive it from the run as it was opened. */
export type RunWatermark = string | undefined | ((run: RunInfo) => string | undefined);

/**
 * The statements of {@link finishRun}, inside a transaction the caller opened and commits: the
 * sink runs them in the transaction that stores the crawl's last page, so the run is finished,
 * its watermark set and (for `replace`) its table swapped in with that page's rows, or none of it.
 *
 * @returns `true` when it finished the run, `false` when it was finished already.
 */
export async function finishRunIn(
  client: PoolClient,
  tables: RunTables,
  runId: string,
  watermark: RunWatermark,
): Promise<boolean> {
  const { names } = tables;
  const runsTable = qualified(names, names.runsTable);
  const pagesTable = qualified(names, names.pagesTable);
  await client.query(sqlFile('lock-job'), [`${runsTable} ${tables.job}`]);
  // FOR UPDATE waits for the pages being stored under the run (a worker's batch locks its run's
  // row FOR SHARE), so that the statements after it, each with a snapshot of its own, count them.
  const found = await client.query<RunRow>(
    `SELECT *, 0 AS pages FROM ${runsTable} WHERE run_id = $1 FOR UPDATE`,
    [runId],
  );
  const row = found.rows[0];
  if (row?.state === 'finished') return false;
  const mark =
    typeof watermark === 'function' ? row && watermark(toRunInfo({ ...row, pages: 0 })) : watermark;
  if (tables.disposition === 'replace') await swapIn(client, tables, runId);
  await client.query(
    `UPDATE ${runsTable} SET state = 'finished', finished_at = now(), watermark = $2,
       pages = (SELECT count(*) FROM ${pagesTable} WHERE run_id = $1)
     WHERE run_id = $1`,
    [runId, mark ?? null],
  );
  // The finished run's checkpoints stay, to show what it stored; the earlier finished runs'
  // are of no more use.
  await client.query(
    `DELETE FROM ${pagesTable} WHERE run_id IN
       (SELECT run_id FROM ${runsTable} WHERE job = $2 AND state = 'finished' AND run_id <> $1)`,
    [runId, tables.job],
  );
  return true;
}

/**
 * Finishes run `runId` of whatever job it belongs to (a worker's sink knows the run, not the
 * job `capital enqueue` named): reads the run's job and disposition, then {@link finishRun}.
 *
 * @throws {RunNotFoundError} when the runs table has no run `runId`.
 */
export async function finishRunById(
  client: PoolClient,
  tables: RunTables,
  runId: string,
  watermark: (run: RunInfo) => string | undefined,
): Promise<boolean> {
  const found = await client.query<Pick<RunRow, 'job' | 'disposition'>>(
    `SELECT job, disposition FROM ${qualified(tables.names, tables.names.runsTable)} WHERE run_id = $1`,
    [runId],
  );
  const row = found.rows[0];
  if (row === undefined) throw new RunNotFoundError(runId, 'is not a run kept by this sink.');
  return finishRun(client, { ...tables, job: row.job, disposition: row.disposition }, runId, watermark);
}

/**
 * The disposition run `runId` was opened with, by whichever process opened it (`capital
 * enqueue`): a worker stores each page as its run says, never as the job that carried the
 * page's run id says, since anyone with the queue's Redis can write a job.
 *
 * @throws {RunNotFoundError} when the runs table has no run `runId`.
 */
export async function runDisposition(
  client: PoolClient,
  tables: RunTables,
  runId: string,
): Promise<WriteDisposition> {
  const found = await client.query<Pick<RunRow, 'disposition'>>(
    `SELECT disposition FROM ${qualified(tables.names, tables.names.runsTable)} WHERE run_id = $1`,
    [runId],
  );
  const row = found.rows[0];
  if (row === undefined)
    throw new RunNotFoundError(runId, 'is not a run kept by this sink: its pages are not stored.');
  return row.disposition;
}

/** The `replace` swap, inside {@link finishRun}'s transaction. */
async function swapIn(client: PoolClient, tables: RunTables, runId: string): Promise<void> {
  const { names } = tables;
  const target = qualified(names, names.table);
  const build = qualified(names, buildTableOf(tables.table, runId));
  const old = escapeIdentifier(`${prefixOf(tables.table, 50)}__old_${runId}`);
  const found = await client.query<{ conname: string; key: string }>(
    `SELECT c.conname, a.attname AS key FROM pg_catalog.pg_constraint c
     JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     WHERE c.conrelid = $1::regclass AND c.contype = 'p' AND cardinality(c.conkey) = 1`,
    [target],
  );
  const primaryKey = found.rows[0];
  if (primaryKey !== undefined) {
    const key = escapeIdentifier(primaryKey.key);
    const constraint = escapeIdentifier(`${prefixOf(tables.table, 48)}__pk_${runId}`);
    const addKey = `ALTER TABLE ${build} ADD CONSTRAINT ${constraint} PRIMARY KEY (${key})`;
    await client.query('SAVEPOINT capital_key');
    try {
      await client.query(addKey);
    } catch (error) {
      if ((error as { code?: unknown }).code !== '23505') throw error;
      // A record met twice in one run (offset pages shift while the API changes): keep the
      // copy stored last, as merge would.
      await client.query('ROLLBACK TO SAVEPOINT capital_key');
      await client.query(
        `DELETE FROM ${build} a USING ${build} b WHERE a.${key} = b.${key} AND a.ctid < b.ctid`,
      );
      await client.query(addKey);
    }
    await client.query('RELEASE SAVEPOINT capital_key');
  }
  await client.query(`ALTER TABLE ${target} RENAME TO ${old}`);
  await client.query(`ALTER TABLE ${build} RENAME TO ${names.table}`);
  await client.query(`DROP TABLE ${qualified(names, old)}`);
  if (primaryKey !== undefined) {
    await client.query(
      `ALTER TABLE ${target} RENAME CONSTRAINT ${escapeIdentifier(`${prefixOf(tables.table, 48)}__pk_${runId}`)} TO ${escapeIdentifier(primaryKey.conname)}`,
    );
  }
}

/** Marks a run `interrupted` (it stays resumable), deferred until `resumeAt` (ms) when given. */
export async function interruptRun(
  client: PoolClient,
  tables: RunTables,
  runId: string,
  resumeAt?: number,
): Promise<void> {
  await client.query(
    `UPDATE ${qualified(tables.names, tables.names.runsTable)}
     SET state = 'interrupted', resume_at = to_timestamp($2::float8 / 1000)
     WHERE run_id = $1 AND state = 'running'`,
    [runId, resumeAt ?? null],
  );
}

/** Deletes the job's runs, their page checkpoints and build tables; returns how many runs. */
export async function resetRuns(client: PoolClient, tables: RunTables): Promise<number> {
  const { names } = tables;
  const runsTable = qualified(names, names.runsTable);
  await client.query('BEGIN');
  try {
    await client.query(sqlFile('lock-job'), [`${runsTable} ${tables.job}`]);
    const runs = await listRuns(client, tables);
    for (const run of runs) {
      await client.query(`DROP TABLE IF EXISTS ${qualified(names, buildTableOf(tables.table, run.id))}`);
    }
    const ids = runs.map((run) => run.id);
    await client.query(`DELETE FROM ${qualified(names, names.pagesTable)} WHERE run_id = ANY ($1::text[])`, [
      ids,
    ]);
    await client.query(`DELETE FROM ${runsTable} WHERE run_id = ANY ($1::text[])`, [ids]);
    await client.query('COMMIT');
    return runs.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

function toRunInfo(row: RunRow): RunInfo {
  return {
    id: row.run_id,
    job: row.job,
    state: row.state,
    disposition: row.disposition,
    startedAt: row.started_at.getTime(),
    finishedAt: row.finished_at?.getTime(),
    pages: row.pages,
    since: row.since ?? undefined,
    watermark: row.watermark ?? undefined,
    ...(row.resume_at ? { resumeAt: row.resume_at.getTime() } : {}),
  };
}
