// The baselines of the PostgreSQL sink benchmark: what a developer would write by hand with pg,
// and the fastest bulk load PostgreSQL offers from a client (psql's \copy).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';

/**
 * A plain pg loop: one multi-row `INSERT … ON CONFLICT (record_key) DO UPDATE` per page, in
 * autocommit (one transaction per page, as the sink), into a table of the sink's shape. It does
 * less than the sink: no staging table, no DISTINCT ON (it would fail on a page with a key twice),
 * no pages table row.
 */
export async function insertLoop(pool, table, pages) {
  const statements = new Map();
  const statementFor = (rows) => {
    let text = statements.get(rows);
    if (text === undefined) {
      const values = Array.from({ length: rows }, (_, row) => {
        const n = row * 6;
        return `($${n + 1}::jsonb, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}::int, $${n + 6}::timestamptz)`;
      });
      text =
        `INSERT INTO ${table} (record, record_key, connector, task_key, page, fetched_at) VALUES ${values.join(', ')} ` +
        'ON CONFLICT (record_key) DO UPDATE SET record = EXCLUDED.record, connector = EXCLUDED.connector, ' +
        'task_key = EXCLUDED.task_key, page = EXCLUDED.page, fetched_at = EXCLUDED.fetched_at';
      statements.set(rows, text);
    }
    return text;
  };
  const client = await pool.connect();
  try {
    for (const page of pages) {
      const fetchedAt = new Date(page.fetchedAt).toISOString();
      const params = [];
      for (const record of page.data) {
        params.push(JSON.stringify(record), record.symbol, 'bench', page.key, page.task.page, fetchedAt);
      }
      await client.query(statementFor(page.data.length), params);
    }
  } finally {
    client.release();
  }
}

/**
 * The loop many first write: one `INSERT … ON CONFLICT DO UPDATE` per row, one transaction per
 * page. Not a goal's baseline; shown for scale.
 */
export async function rowByRowLoop(pool, table, pages) {
  const text =
    `INSERT INTO ${table} (record, record_key, connector, task_key, page, fetched_at) ` +
    'VALUES ($1::jsonb, $2, $3, $4, $5::int, $6::timestamptz) ' +
    'ON CONFLICT (record_key) DO UPDATE SET record = EXCLUDED.record, connector = EXCLUDED.connector, ' +
    'task_key = EXCLUDED.task_key, page = EXCLUDED.page, fetched_at = EXCLUDED.fetched_at';
  const client = await pool.connect();
  try {
    for (const page of pages) {
      const fetchedAt = new Date(page.fetchedAt).toISOString();
      await client.query('BEGIN');
      for (const record of page.data) {
        await client.query({
          name: `row-by-row ${table}`,
          text,
          values: [JSON.stringify(record), record.symbol, 'bench', page.key, page.task.page, fetchedAt],
        });
      }
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
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
 * `psql -c "\copy table(columns) from 'file'"`: one process, one transaction, resolves when psql
 * exits. `columns` is `record`, `record_key, record` for a file written `withKey`, or
 * `record_key, record, connector, task_key, page, fetched_at` for one written `withProvenance`.
 */
export async function psqlCopy(connection, table, file, columns = 'record') {
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
      '-c',
      `\\copy ${table}(${columns}) from '${file}'`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`psql exited with ${code}`);
}
