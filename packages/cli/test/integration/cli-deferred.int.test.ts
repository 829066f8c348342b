// `capital run` against an API whose daily quota runs out after 3 pages (429, Retry-After: 3600):
// the run stores those pages, says when it can resume and exits 75; once the quota is back, the
// next `capital run` of the same job resumes it and finishes with every record exactly once.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateListings, searchListings } from '@capital/wtd-connector/testing';
import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adminPool,
  dropSchema,
  schemaName,
  serverUrl,
} from '../../../sinks/test/integration/fixtures/postgres.js';
import { runWtdArgs } from '../fixtures/run-args.js';
import { honestPage } from '../lying-api.js';
import { type QuotaApi, startQuotaApi } from '../quota-api.js';
import { assertCliBuilt, runCli } from '../run-cli.js';

const token = 'deferred-token';
const expectedSymbols = searchListings(generateListings(), 'new york')
  .map((listing) => listing.symbol)
  .sort();
const pagesBeforeQuota = 3;

let admin: Pool;
let folder: string;
let schema: string;
let api: QuotaApi;

beforeAll(() => {
  assertCliBuilt();
  admin = adminPool();
});
afterAll(async () => {
  await admin.end();
});
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-deferred-'));
  schema = schemaName();
  api = await startQuotaApi({ pages: pagesBeforeQuota, retryAfter: '3600' });
});
afterEach(async () => {
  await api.close();
  await rm(folder, { recursive: true, force: true });
  await dropSchema(admin, schema);
});

/** One page at a time, so that the pages answered before the quota ran out are all stored. */
const run = (sink: string, extra: readonly string[] = []) =>
  runCli(
    [
      ...runWtdArgs({ search: 'new york', baseUrl: api.url, token, rate: 'off' }),
      '--concurrency',
      '1',
      '--sink',
      sink,
      ...extra,
    ],
    { cwd: folder, env: { REDIS_URL: '' } },
  );

/** The job's runs, as `capital state show --json` prints them. */
async function runsOf(sink: string): Promise<{ id: string; state: string; resumeAt?: number }[]> {
  const shown = await runCli(['state', 'show', 'wtd', '--search', 'new york', '--sink', sink, '--json'], {
    cwd: folder,
    env: { REDIS_URL: '' },
  });
  expect(shown.code, shown.stderr).toBe(0);
  return (JSON.parse(shown.stdout) as { runs: { id: string; state: string; resumeAt?: number }[] }).runs;
}

type SinkCase = {
  readonly sink: () => string;
  /** The symbols the sink holds, whether the run finished or was deferred. */
  readonly stored: () => Promise<string[]>;
};

const fileCase: SinkCase = {
  sink: () => `file:${join(folder, 'out.ndjson')}`,
  stored: async () => {
    // A deferred run's lines are kept beside the output until its resume takes them over.
    const names = (await readdir(folder)).filter(
      (name) => name === 'out.ndjson' || name.endsWith('.deferred'),
    );
    const lines = await Promise.all(names.map((name) => readFile(join(folder, name), 'utf8')));
    return lines
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { symbol: string }).symbol);
  },
};

const postgresCase: SinkCase = {
  sink: () => `${serverUrl}?schema=${schema}&table=listings`,
  stored: async () => {
    const { rows } = await admin.query<{ symbol: string }>(
      `SELECT record->>'symbol' AS symbol FROM ${schema}.listings`,
    );
    return rows.map((row) => row.symbol);
  },
};

describe.each([
  ['a file', fileCase],
  ['PostgreSQL', postgresCase],
])('capital run into %s when the API asks for an hour’s pause', (_name, sinkCase) => {
  it('exits 75 saying when it can resume, records when, stops an early run at once, and --fresh starts anew', async () => {
    const before = Date.now();
    const deferred = await run(sinkCase.sink());
    const after = Date.now();

    expect(deferred.code, deferred.stderr).toBe(75);
    const said =
      /capital: deferred: the API asked to pause for 1 h 0 min; run ([0-9a-f]{8}) stored 3 pages and can resume at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \(in (?:59 min \d+ s|1 h 0 min)\): run the same command again then\.\n/.exec(
        deferred.stderr,
      );
    expect(said, deferred.stderr).not.toBeNull();
    const resumeAt = Date.parse(`${said?.[2]?.replace(' ', 'T')}Z`);
    expect(resumeAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3_600_000);
    expect(resumeAt).toBeLessThanOrEqual(after + 3_600_000);
    expect(deferred.stderr).not.toContain('error');
    expect(deferred.stderr).not.toContain(token);
    expect(api.served).toEqual([1, 2, 3]);
    const firstPages = [1, 2, 3].flatMap((page) => honestPage(page).data.map((listing) => listing.symbol));
    expect((await sinkCase.stored()).sort()).toEqual(firstPages.sort());

    // Recorded as deferred: interrupted, with the time the API gave.
    const [recorded] = await runsOf(sinkCase.sink());
    expect(recorded).toMatchObject({ id: said?.[1], state: 'interrupted' });
    expect(Math.floor((recorded?.resumeAt ?? 0) / 1000) * 1000).toBe(resumeAt);
    const shown = await runCli(['state', 'show', 'wtd', '--search', 'new york', '--sink', sinkCase.sink()], {
      cwd: folder,
    });
    expect(shown.stdout).toContain(`deferred: resumes at ${new Date(recorded?.resumeAt ?? 0).toISOString()}`);

    // Before that time, a run of the job stops at once: the API asked us to wait.
    const early = await run(sinkCase.sink());
    expect(early.code, early.stderr).toBe(75);
    expect(early.stderr).toContain(
      `capital: deferred: run ${said?.[1]} was deferred by the API and can resume at ${said?.[2]} UTC (in `,
    );
    expect(early.stderr).toContain('nothing was sent; run the same command again then, or pass --fresh');
    expect(api.served).toEqual([1, 2, 3]);
    expect(api.refused()).toBe(1);

    // --fresh starts a new run, which fetches every page.
    api.release();
    const fresh = await run(sinkCase.sink(), ['--fresh']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toMatch(/capital: new run [0-9a-f]{8}/);
    expect((await sinkCase.stored()).filter((symbol) => !firstPages.includes(symbol)).sort()).toEqual(
      expectedSymbols.filter((symbol) => !firstPages.includes(symbol)),
    );
  });

  it('once the time the API gave has come, the next run resumes the deferred run and finishes the job once', async () => {
    await api.close();
    api = await startQuotaApi({ pages: pagesBeforeQuota, retryAfter: '3' });
    const deferred = await run(sinkCase.sink(), ['--defer-after', '1s']);
    expect(deferred.code, deferred.stderr).toBe(75);
    const [recorded] = await runsOf(sinkCase.sink());
    const resumeAt = recorded?.resumeAt ?? Number.POSITIVE_INFINITY;
    expect(resumeAt).toBeLessThan(Date.now() + 3000);
    // Waits for the state that must come: the resume time passed.
    while (Date.now() <= resumeAt) await new Promise((resolve) => setTimeout(resolve, 100));

    api.release();
    const resumed = await run(sinkCase.sink(), ['--defer-after', '1s']);

    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`capital: resuming run ${recorded?.id} (interrupted, 3 pages stored)`);
    // The pages stored before the pause are not asked for again.
    expect(api.served.slice(3).sort()).toEqual([4, 5, 6, 7, 8, 9]);
    expect((await sinkCase.stored()).sort()).toEqual(expectedSymbols);
    expect((await runsOf(sinkCase.sink()))[0]).toMatchObject({ id: recorded?.id, state: 'finished' });
    expect((await runsOf(sinkCase.sink()))[0]?.resumeAt).toBeUndefined();
  });
});

describe('capital run when a 429 says only when its rate-limit window resets', () => {
  const runInto = (api: QuotaApi, extra: readonly string[] = []) =>
    runCli(
      [
        ...runWtdArgs({ search: 'new york', baseUrl: api.url, token, rate: 'off' }),
        '--concurrency',
        '1',
        '--out',
        join(folder, 'reset.ndjson'),
        ...extra,
      ],
      { cwd: folder, env: { REDIS_URL: '' } },
    );

  it.each([
    ['RateLimit-Reset', () => ({ 'ratelimit-reset': '3600' })],
    [
      'X-RateLimit-Reset, seconds since the epoch',
      () => ({ 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600) }),
    ],
    ["the draft's RateLimit field", () => ({ ratelimit: '"day";r=0;t=3600' })],
  ])('defers on %s as on a Retry-After: exit 75, saying when', async (_name, headers) => {
    const resetApi = await startQuotaApi({ pages: pagesBeforeQuota, refusalHeaders: headers() });
    try {
      const deferred = await runInto(resetApi);

      expect(deferred.code, deferred.stderr).toBe(75);
      expect(deferred.stderr).toMatch(
        /capital: deferred: the API asked to pause for (?:59 min \d+ s|1 h 0 min); run [0-9a-f]{8} stored 3 pages and can resume at /,
      );
      // Deferred at the first 429: no retry was sent into the closed window.
      expect(resetApi.refused()).toBe(1);
    } finally {
      await resetApi.close();
    }
  });

  it('clamps a reset by --max-retry-after, as it clamps a Retry-After', async () => {
    const resetApi = await startQuotaApi({
      pages: pagesBeforeQuota,
      refusalHeaders: { 'ratelimit-reset': '7200' },
    });
    try {
      const deferred = await runInto(resetApi, ['--max-retry-after', '1h']);

      expect(deferred.code, deferred.stderr).toBe(75);
      expect(deferred.stderr).toContain('capital: deferred: the API asked to pause for 1 h 0 min;');
    } finally {
      await resetApi.close();
    }
  });

  it('drops a hostile reset instead of deferring or crashing on it', async () => {
    const resetApi = await startQuotaApi({
      pages: pagesBeforeQuota,
      refusalHeaders: { 'ratelimit-reset': '9'.repeat(400), 'x-ratelimit-reset': '-5' },
    });
    try {
      const failed = await runInto(resetApi, ['--retries', '1']);

      // A bare 429: retried, then failed as any transient failure is.
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).not.toContain('capital: deferred');
      expect(resetApi.refused()).toBe(2);
    } finally {
      await resetApi.close();
    }
  });
});
