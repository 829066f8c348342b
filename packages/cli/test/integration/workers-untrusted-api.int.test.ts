import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisDump } from '../fixtures/redis-dump.js';
import { postgresServer, postgresSinkUrl, redisUrl } from '../fixtures/services.js';
import { killChildren, queueFlags, startWorker as startQueueWorker } from '../fixtures/workers.js';
import { type HonestPage, type LyingApi, startLyingApi } from '../lying-api.js';
import { assertCliBuilt, type RunningCli, runCli } from '../run-cli.js';

// A real `capital worker` against an API that echoes the token back — in a 200 that is not JSON
// and in a 500 body, raw and form-encoded. BullMQ stores failure reasons and stack traces in
// Redis and on its events stream, `capital failed` prints them, the worker logs them: the token
// must be in none of them, nor in any row.

// A space, a slash and a plus: raw, URL-encoded and form-encoded, three spellings.
const token = `w ${randomBytes(6).toString('hex')}/+${randomBytes(4).toString('hex')}`;
const spellings = [token, encodeURIComponent(token), new URLSearchParams({ t: token }).toString().slice(2)];

let redis: Redis;
let admin: pg.Pool;
let api: LyingApi;
let root: string;
let schema: string;
const children: RunningCli[] = [];

beforeAll(async () => {
  assertCliBuilt();
  redis = new Redis(redisUrl);
  admin = new pg.Pool({ ...postgresServer, max: 2 });
  api = await startLyingApi((page, honest, url) =>
    answer(url.searchParams.get('search_term') ?? '', page, honest),
  );
});
afterAll(async () => {
  await api.close();
  await redis.quit();
  await admin.end();
});
beforeEach(() => {
  const id = randomBytes(6).toString('hex');
  root = `capital-test:${id}`;
  schema = `capital_test_${id}`;
});
afterEach(async () => {
  await killChildren(children);
  const keys = await redis.keys(`${root}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

/** How the shared stub answers, by search term: each test sets it. */
let answer: (
  term: string,
  page: number,
  honest: HonestPage,
) => { status?: number; body: string; type?: string } = () => ({ body: '' });

const options = () => ({ cwd: tmpdir(), env: { REDIS_URL: '', WTD_API_TOKEN: token }, killAfterMs: 110_000 });

/** Every row of every table in this test's schema, as text. */
async function rowsDump(): Promise<string> {
  const { rows: tables } = await admin.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
    [schema],
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await admin.query(`SELECT t::text AS row FROM "${schema}"."${table_name}" t`);
    parts.push(...rows.map((row: { row: string }) => row.row));
  }
  return parts.join('\n');
}

/** `capital worker` on this test's queue, into this test's schema, taking the stub as its API. */
function startWorker(): Promise<RunningCli> {
  return startQueueWorker({
    root,
    sink: postgresSinkUrl(schema),
    extra: ['--base-url', api.url],
    options: options(),
    children,
  });
}

/** `capital enqueue wtd --search TERM --wait`, two attempts a task. */
function enqueueAndWait(term: string) {
  return runCli(
    [
      'enqueue',
      'wtd',
      '--search',
      term,
      ...queueFlags(root),
      '--base-url',
      api.url,
      '--attempts',
      '2',
      '--wait',
      '--quiet',
    ],
    options(),
  );
}

describe('capital worker against an API that echoes the token', () => {
  it('puts the token into no failure reason, stack trace, event, log line or row', async () => {
    // "gold": a 200 that is not JSON; "silver": a 500 whose JSON body quotes it form-encoded.
    const form = spellings[2] as string;
    answer = (term) =>
      term === 'silver'
        ? { status: 500, body: JSON.stringify({ message: `Internal error for api_token=${form}` }) }
        : { body: `Unknown api_token ${token}, see docs`, type: 'text/plain' };
    const worker = await startWorker();

    const gold = await enqueueAndWait('gold');
    const silver = await enqueueAndWait('silver');
    const failed = await runCli(['failed', ...queueFlags(root)], options());
    const failedJson = await runCli(['failed', ...queueFlags(root), '--json'], options());

    expect(gold.code, gold.stderr).toBe(1);
    expect(silver.code, silver.stderr).toBe(1);
    expect(failed.stdout).toMatch(/\[redacted\]/);
    expect(failed.stdout.trim().split('\n')).toHaveLength(2);
    const outputs = {
      'capital enqueue --wait': gold.stdout + gold.stderr + silver.stdout + silver.stderr,
      'capital failed': failed.stdout + failed.stderr + failedJson.stdout + failedJson.stderr,
      'the worker': worker.stdout() + worker.stderr(),
      Redis: await redisDump(redis, `${root}:*`),
      PostgreSQL: await rowsDump(),
    };
    expect(outputs.Redis).toMatch(/\[redacted\]/);
    for (const [where, text] of Object.entries(outputs)) {
      for (const spelling of spellings) expect(text, `${where} holds the token`).not.toContain(spelling);
    }
  });
});

describe('capital enqueue --wait against an API that lies about its totals', () => {
  it('exits 1 when the pages contradict each other or their own totals, naming the fault', async () => {
    // "gold": page 5 says 430 results where every other page says 431, which no page shows by
    // itself; "silver": total_pages 1 while total_results 431, which the handler sees.
    answer = (term, page, honest) => ({
      body: JSON.stringify(
        term === 'gold'
          ? page === 5
            ? { ...honest, total_results: 430 }
            : honest
          : { ...honest, total_pages: 1 },
      ),
    });
    await startWorker();

    const gold = await enqueueAndWait('gold');
    const silver = await enqueueAndWait('silver');

    expect(gold.code, gold.stderr).toBe(1);
    // Caught by the page's paginator (a fanned page checks its totals against page 1's) or, at
    // the latest, by --wait's completeness check.
    expect(gold.stderr).toMatch(
      /The run is incomplete.*it says the result holds 43[01] records, an earlier page said 43[01]|the page announces 43[01] records, an earlier page 43[01]/,
    );
    expect(silver.code, silver.stderr).toBe(1);
    expect(silver.stderr).toMatch(/total_pages is 1, but 431 results at 50 per page make 9/);
  });

  it('exits 0 when every page tells the truth', async () => {
    answer = (_term, _page, honest) => ({ body: JSON.stringify(honest) });
    await startWorker();

    const honest = await enqueueAndWait('gold');

    expect(honest.code, honest.stderr).toBe(0);
    expect(honest.stderr).toMatch(/crawl complete: 9 pages/);
  });
});
