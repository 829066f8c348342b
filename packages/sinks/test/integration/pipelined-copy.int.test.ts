import { escapeIdentifier, type Pool, type PoolClient } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PipelinedCopy } from '../../src/postgres/pipelined-copy.js';
import { adminPool, dropSchema, schemaName } from './fixtures/postgres.js';

let admin: Pool;
let schema: string;
let client: PoolClient;
const table = () => `${escapeIdentifier(schema)}.t`;

beforeAll(() => {
  admin = adminPool();
});
afterAll(async () => {
  await admin.end();
});
beforeEach(async () => {
  schema = schemaName();
  await admin.query(`CREATE SCHEMA ${escapeIdentifier(schema)}`);
  await admin.query(`CREATE TABLE ${table()} (n int NOT NULL, note text)`);
  client = await admin.connect();
});
afterEach(async () => {
  client.release();
  await dropSchema(admin, schema);
});

/** Sends `text` with `data` as one PipelinedCopy, a piece per line as the sink's pages go, and waits for it. */
async function send(text: string, data: string): Promise<void> {
  const pieces = data.split(/(?<=\n)/).map((line) => Buffer.from(line, 'utf8'));
  const copy = new PipelinedCopy(text, pieces);
  client.query(copy);
  await copy.done;
}

describe('PipelinedCopy', () => {
  it('runs the statements around the COPY once its data, sent along, has arrived', async () => {
    await send(
      `BEGIN; COPY ${table()} (n, note) FROM STDIN; INSERT INTO ${table()} (n) SELECT count(*) FROM ${table()}`,
      '1\tone\n2\t\\N\n3\ttab\\there\n',
    );
    await client.query('COMMIT');
    const { rows } = await admin.query(`SELECT n, note FROM ${table()} ORDER BY n`);
    expect(rows).toEqual([
      { n: 1, note: 'one' },
      { n: 2, note: null },
      { n: 3, note: 'tab\there' },
      { n: 3, note: null },
    ]);
  });

  it('rejects with the server’s error, naming the line, when a row is refused, and the connection answers after', async () => {
    const refused = send(`COPY ${table()} (n) FROM STDIN`, '1\nnot a number\n3\n');
    await expect(refused).rejects.toMatchObject({ code: '22P02', where: expect.stringMatching(/line 2/) });
    await expect(client.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table()}`)).rows).toEqual([{ n: 0 }]);
  });

  it('rejects when the query fails before its COPY starts; the server drops the data sent along', async () => {
    const missing = send(`COPY ${escapeIdentifier(schema)}.missing (n) FROM STDIN`, '1\n2\n');
    await expect(missing).rejects.toMatchObject({ code: '42P01' });
    await expect(client.query('SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
  });

  it('streams pieces still being encoded, in order, and runs the statements after the last', async () => {
    const later = (text: string, turns: number) =>
      new Promise<Buffer>((resolve) => {
        const wait = (left: number): void => {
          if (left === 0) resolve(Buffer.from(text, 'utf8'));
          else setImmediate(() => wait(left - 1));
        };
        wait(turns);
      });
    const copy = new PipelinedCopy(
      `BEGIN; COPY ${table()} (n, note) FROM STDIN; INSERT INTO ${table()} (n) SELECT count(*) FROM ${table()}`,
      [later('1\tone\n', 3), Buffer.from('2\tré\n', 'utf8'), later('3\t\\N\n', 1)],
    );
    client.query(copy);
    await copy.done;
    await client.query('COMMIT');

    const { rows } = await admin.query(`SELECT n, note FROM ${table()} ORDER BY n, note`);
    expect(rows).toEqual([
      { n: 1, note: 'one' },
      { n: 2, note: 'ré' },
      { n: 3, note: null },
      { n: 3, note: null },
    ]);
  });

  it('ends the COPY when a piece fails: nothing of the query is done, done rejects with that piece’s error', async () => {
    const failure = new Error('record 3 cannot be serialised');
    const copy = new PipelinedCopy(
      `BEGIN; COPY ${table()} (n) FROM STDIN; INSERT INTO ${table()} (n) VALUES (99)`,
      [Buffer.from('1\n2\n'), Promise.reject(failure), Buffer.from('4\n')],
    );
    client.query(copy);

    await expect(copy.done).rejects.toBe(failure);
    await client.query('ROLLBACK');
    await expect(client.query('SELECT 3 AS three')).resolves.toMatchObject({ rows: [{ three: 3 }] });
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table()}`)).rows).toEqual([{ n: 0 }]);
  });
});
