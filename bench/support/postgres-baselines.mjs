// The baselines of the PostgreSQL sink benchmark: what a developer would write by hand with pg,
// and the fastest bulk load PostgreSQL offers from a client (psql's \copy).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * What a competent developer writes by hand with pg to do the sink's `merge` work, shaped like
 * the sink so that only the storing differs: a `Sink` driven by the same `writeTo` (up to
 * `maxPendingWrites` pages in flight, and as many records ahead, `maxPendingRecords`, as the
 * sink asks of the crawl) and group commit (one transaction at a time; the pages
 * that arrive meanwhile go together into the next, up to `maxBatchRows` records), each
 * transaction one multi-row `INSERT … ON CONFLICT (record_key) DO UPDATE` of its pages' records
 * (the last copy of a key wins, deduplicated in JS: ON CONFLICT cannot touch a row twice) and
 * one multi-row insert of their checkpoints into a pages table, then `COMMIT`. `pool` connects
 * before the clock starts; `table` and `pagesTable` exist (see `insertTablesSql`).
 */
export function insertSink(pool, table, pagesTable, { maxPendingWrites = 1024, maxBatchRows = 10_000 } = {}) {
  const waiting = [];
  let running;
  const commit = async (batch) => {
    const records = new Map();
    for (const { page } of batch) {
      const fetchedAt = new Date(page.fetchedAt).toISOString();
      for (const record of page.data) {
        records.set(record.symbol, [
          JSON.stringify(record),
          record.symbol,
          'bench',
          page.key,
          page.task.page,
          fetchedAt,
        ]);
      }
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const rows = [...records.values()];
      // A statement takes at most 65,535 parameters: 10,922 rows of 6.
      for (let start = 0; start < rows.length; start += 10_000) {
        const chunk = rows.slice(start, start + 10_000);
        await client.query(upsertText(table, chunk.length), chunk.flat());
      }
      const checkpoints = batch.map(
        (_, index) => `($${index * 3 + 1}, $${index * 3 + 2}::jsonb, $${index * 3 + 3}::int)`,
      );
      await client.query(
        `INSERT INTO ${pagesTable} (task_key, next_tasks, records) VALUES ${checkpoints.join(', ')} ` +
          'ON CONFLICT (task_key) DO UPDATE SET next_tasks = EXCLUDED.next_tasks, records = EXCLUDED.records',
        batch.flatMap(({ page }) => [page.key, JSON.stringify(page.nextTasks), page.data.length]),
      );
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      client.release(true);
      throw error;
    }
  };
  const drain = async () => {
    await Promise.resolve();
    while (waiting.length > 0) {
      let count = 1;
      let size = waiting[0].page.data.length;
      while (count < Math.min(maxPendingWrites, waiting.length)) {
        size += waiting[count].page.data.length;
        if (size > maxBatchRows) break;
        count += 1;
      }
      const batch = waiting.splice(0, count);
      try {
        await commit(batch);
        for (const { page, resolve } of batch) resolve({ key: page.key, records: page.data.length });
      } catch (error) {
        for (const { reject } of batch) reject(error);
      }
    }
    running = undefined;
  };
  return {
    maxPendingWrites,
    maxPendingRecords: 2 * maxBatchRows,
    write: (page) =>
      new Promise((resolve, reject) => {
        waiting.push({ page, resolve, reject });
        running ??= drain();
      }),
    close: async () => {
      await running;
      return { pages: 0, records: 0, location: table };
    },
    abort: async () => {},
  };
}

/** The pages table {@link insertSink} writes its checkpoints into. */
export const insertPagesShape =
  '(task_key text PRIMARY KEY, next_tasks jsonb NOT NULL, records int NOT NULL, stored_at timestamptz NOT NULL DEFAULT now())';

const upsertTexts = new Map();

function upsertText(table, rows) {
  const key = `${table} ${rows}`;
  let text = upsertTexts.get(key);
  if (text === undefined) {
    const values = Array.from({ length: rows }, (_, row) => {
      const n = row * 6;
      return `($${n + 1}::jsonb, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}::int, $${n + 6}::timestamptz)`;
    });
    text =
      `INSERT INTO ${table} (record, record_key, connector, task_key, page, fetched_at) VALUES ${values.join(', ')} ` +
      'ON CONFLICT (record_key) DO UPDATE SET record = EXCLUDED.record, connector = EXCLUDED.connector, ' +
      'task_key = EXCLUDED.task_key, page = EXCLUDED.page, fetched_at = EXCLUDED.fetched_at';
    upsertTexts.set(key, text);
  }
  return text;
}

/**
 * Writes the records as NDJSON ready for `\copy … from` in PostgreSQL's text format: JSON never
 * holds a raw tab or newline, so doubling its backslashes is all the escaping it needs.
 * `withKey`: `record_key TAB record`; `withProvenance`: the sink's row, `record_key TAB record TAB
 * connector TAB task_key TAB page TAB fetched_at`.
 */
export async function writeCopyFile(path, pages, { withKey = false, withProvenance = false } = {}) {
  let text = '';
  for (const page of pages) {
    const provenance = `\tbench\t${page.key}\t${page.task.page}\t${new Date(page.fetchedAt).toISOString()}`;
    for (const record of page.data) {
      const json = JSON.stringify(record).replaceAll('\\', '\\\\');
      const key = withKey || withProvenance ? `${record.symbol}\t${json}` : json;
      text += withProvenance ? `${key}${provenance}\n` : `${key}\n`;
    }
  }
  await writeFile(path, text);
}

/**
 * psql running `script` (`-f`), with `\timing` on: resolves with the sum of the times it
 * reports, its start-up and connection left out as in {@link psqlCopy}.
 */
export async function psqlScript(connection, script) {
  const output = await runPsql(connection, ['-c', '\\timing on', '-f', script]);
  const times = [...output.matchAll(/Time: ([\d.]+) ms/g)].map((match) => Number(match[1]));
  if (times.length === 0) throw new Error(`psql printed no timing: ${output.slice(0, 200)}`);
  return times.reduce((sum, time) => sum + time, 0);
}

/**
 * A psql script that copies the rows of a file written `withProvenance` into `table` in one
 * transaction per `rowsPerTransaction` rows — `BEGIN`, `COPY … FROM STDIN` with the rows inline,
 * `COMMIT` — as the sink commits a group of pages.
 */
export async function writeGroupedCopyScript(path, file, table, columns, rowsPerTransaction) {
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  let script = '';
  for (let start = 0; start < lines.length; start += rowsPerTransaction) {
    script += `BEGIN;\nCOPY ${table} (${columns}) FROM STDIN;\n`;
    script += `${lines.slice(start, start + rowsPerTransaction).join('\n')}\n\\.\nCOMMIT;\n`;
  }
  await writeFile(path, script);
}

/**
 * `psql -c "\copy table(columns) from 'file'"`, one transaction; resolves with the
 * milliseconds psql's own `\timing` reports for the `\copy` (reading the file, sending it,
 * the server's work and the COMMIT): psql's start-up and connection stay outside the clock, as
 * the sink's pool and connections do. `columns` is `record`, `record_key, record` for a file
 * written `withKey`, or `record_key, record, connector, task_key, page, fetched_at` for one
 * written `withProvenance`.
 */
export async function psqlCopy(connection, table, file, columns = 'record') {
  const output = await runPsql(connection, [
    '-c',
    '\\timing on',
    '-c',
    `\\copy ${table}(${columns}) from '${file}'`,
  ]);
  const timed = /Time: ([\d.]+) ms/.exec(output);
  if (timed === null) throw new Error(`psql printed no timing: ${output.slice(0, 200)}`);
  return Number(timed[1]);
}

/** Runs psql with `commands` (its `-c` and `-f` options) and resolves with what it printed. */
async function runPsql(connection, commands) {
  const child = spawn(
    'psql',
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      connection.host,
      '-p',
      String(connection.port),
      '-U',
      connection.user,
      '-d',
      connection.database,
      ...commands,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text) => {
    output += text;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`psql exited with ${code}`);
  return output;
}
