import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EmulatorOptions,
  generateListings,
  type Listing,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outputFiles } from '../output-files.js';
import { assertCliBuilt, type CliResult, runCli, startCli } from '../run-cli.js';

const token = 'cli-test-token-7f3a9c';
const searchTerm = 'new york';

type Line = Listing & { _task_key: string; _page: number; _fetched_at: string; _record_key: string };

let expected: Listing[];
let folder: string;
let emulator: RunningEmulator | undefined;

beforeAll(() => {
  assertCliBuilt();
  expected = searchListings(generateListings(), searchTerm);
});

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-cli-'));
});

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await rm(folder, { recursive: true, force: true });
});

async function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  emulator = await startEmulator({ tokens: [token], ...options });
  return emulator;
}

async function readLines(path: string): Promise<Line[]> {
  return (await readFile(path, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Line);
}

/** A line without the provenance fields: what the API sent. */
function apiFields(line: Line): Listing {
  return Object.fromEntries(Object.entries(line).filter(([key]) => !key.startsWith('_'))) as Listing;
}

/** Checks the file holds every expected listing once, as the API sent it. */
async function expectEveryListingOnce(path: string): Promise<void> {
  const lines = await readLines(path);
  const symbols = lines.map((line) => line.symbol);
  expect(new Set(symbols).size).toBe(symbols.length);
  expect(lines.map(apiFields).sort((a, b) => (a.symbol < b.symbol ? -1 : 1))).toEqual(expected);
  for (const line of lines) {
    expect(line._record_key).toBe(line.symbol);
    expect(line._page).toBeGreaterThanOrEqual(1);
    expect(line._page).toBeLessThanOrEqual(9);
  }
}

function describeRun(result: CliResult): string {
  return `exit ${result.code} (${result.signal ?? 'no signal'})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

function expectExit(result: CliResult, code: number): void {
  expect(result.code, describeRun(result)).toBe(code);
}

/**
 * `capital run wtd --search "new york" --base-url URL --token TOKEN --out OUT ...extra`, run to the
 * end in the test's folder.
 */
function runWtd(url: string, out: string, extra: readonly string[] = []): Promise<CliResult> {
  return runCli(
    ['run', 'wtd', '--search', searchTerm, '--base-url', url, '--token', token, '--out', out, ...extra],
    { cwd: folder },
  );
}

/** A loopback URL nothing listens on (not a well-known port such as 9: fetch refuses those itself). */
async function closedLoopbackUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('capital run wtd', () => {
  it('writes every listing the emulator matches exactly once, fetching each page once, without a 429', async () => {
    const api = await start();
    const out = join(folder, 'new-york.ndjson');

    const result = await runWtd(api.url, out);

    expectExit(result, 0);
    await expectEveryListingOnce(out);
    const stats = api.stats();
    expect(stats.byStatus[429] ?? 0).toBe(0);
    expect(stats.pages).toEqual(
      Array.from({ length: 9 }, (_, index) => ({ searchTerm, limit: 50, page: index + 1, served: 1 })),
    );
    expect(result.stdout.trim()).toBe(out);
    expect(await outputFiles(folder)).toEqual(['new-york.ndjson']);
  });

  it('never writes the token into the output file', async () => {
    const api = await start();
    const out = join(folder, 'out.ndjson');

    const result = await runWtd(api.url, out);

    expectExit(result, 0);
    expect(await readLines(out)).toHaveLength(expected.length);
    expect(await readFile(out, 'utf8')).not.toContain(token);
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it('takes the token from WTD_API_TOKEN when --token is not given', async () => {
    const api = await start();
    const out = join(folder, 'out.ndjson');

    const result = await runCli(['run', 'wtd', '--search', searchTerm, '--base-url', api.url, '--out', out], {
      cwd: folder,
      env: { WTD_API_TOKEN: token },
    });

    expectExit(result, 0);
    expect(await readLines(out)).toHaveLength(expected.length);
  });

  it('recovers from latency, 5xx and broken bodies, still writing every listing exactly once', async () => {
    const api = await start({ latencyMs: 20, faultRate: 0.2, malformedRate: 0.1, seed: 42 });
    const out = join(folder, 'out.ndjson');

    const result = await runWtd(api.url, out, ['--retries', '10']);

    expectExit(result, 0);
    await expectEveryListingOnce(out);
    const stats = api.stats();
    const failures =
      stats.malformed +
      Object.entries(stats.byStatus)
        .filter(([status]) => Number(status) >= 500)
        .reduce((sum, [, count]) => sum + count, 0);
    // The seed injects faults; the run survived them.
    expect(failures).toBeGreaterThan(0);
    expect(stats.pages.every((page) => page.served === 1)).toBe(true);
    expect(stats.pages).toHaveLength(9);
  });

  it('starts its own emulator without --base-url and writes data/wtd-new-york.ndjson in the working folder', async () => {
    const result = await runCli(['run', 'wtd', '--search', searchTerm], { cwd: folder });

    expectExit(result, 0);
    expect(result.stderr).toMatch(
      /no --base-url given, so the wtd emulator runs at http:\/\/127\.0\.0\.1:\d+/,
    );
    const out = join(folder, 'data', 'wtd-new-york.ndjson');
    expect(result.stdout.trim()).toBe(out);
    expect(await readLines(out)).toHaveLength(431);
    expect(await outputFiles(join(folder, 'data'))).toEqual(['wtd-new-york.ndjson']);
  });

  it('exits 1 on a rejected token, says so, leaves no file and never prints the token', async () => {
    const api = await start({ tokens: ['the-right-token'] });
    const out = join(folder, 'out.ndjson');

    const result = await runWtd(api.url, out);

    expectExit(result, 1);
    expect(result.stderr).toMatch(/HTTP 401: Invalid API token/);
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(await outputFiles(folder)).toEqual([]);
    // A permanent error is not retried.
    expect(api.stats().byStatus).toEqual({ 401: 1 });
  });

  it('leaves neither the output nor a partial file when a run fails after some pages', async () => {
    // Three requests, then 429s with a ten-minute Retry-After; --retries 0 fails the run at once
    // (--defer-after off: a pause that long would otherwise defer the run, exit 75).
    const api = await start({ rateLimit: { limit: 3, windowMs: 600_000 } });
    const out = join(folder, 'out.ndjson');

    const result = await runWtd(api.url, out, ['--rate', 'off', '--retries', '0', '--defer-after', 'off']);

    expectExit(result, 1);
    expect(result.stderr).toMatch(/HTTP 429/);
    expect(api.stats().byStatus[200]).toBe(3);
    expect(await outputFiles(folder)).toEqual([]);
  });

  it('exits 1 with a clear message when the base URL is unreachable, leaving no file', async () => {
    const url = await closedLoopbackUrl();
    const out = join(folder, 'out.ndjson');

    const result = await runWtd(url, out, ['--retries', '1']);

    expectExit(result, 1);
    expect(result.stderr).toMatch(
      /capital: error: .*page 1.* failed after 2 attempts: The request failed: .*ECONNREFUSED/,
    );
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(await outputFiles(folder)).toEqual([]);
  });

  it('exits 2 on a malformed --rate, saying what a rate looks like, and writes nothing', async () => {
    const out = join(folder, 'out.ndjson');

    const result = await runCli(['run', 'wtd', '--search', searchTerm, '--rate', 'fast', '--out', out], {
      cwd: folder,
    });

    expectExit(result, 2);
    expect(result.stderr).toMatch(/--rate.*"fast" is not a rate; write LIMIT\/PERIOD such as 9\/1s/);
    expect(await outputFiles(folder)).toEqual([]);
  });

  it('exits 2 when the search parameter is missing', async () => {
    const result = await runCli(['run', 'wtd'], { cwd: folder });

    expectExit(result, 2);
    expect(result.stderr).toMatch(/--search is required/);
    expect(await outputFiles(folder)).toEqual([]);
  });

  it('exits 2 for a connector that is not installed', async () => {
    const result = await runCli(['run', 'no-such-thing', '--out', join(folder, 'out.ndjson')], {
      cwd: folder,
    });

    expectExit(result, 2);
    expect(result.stderr).toMatch(/No connector "no-such-thing"/);
  });

  it('reports progress lines and a summary on stderr when stderr is not a terminal', async () => {
    const api = await start();
    const out = join(folder, 'out.ndjson');

    // 2 requests a second: nine pages take four seconds, long enough for a progress line.
    const result = await runWtd(api.url, out, ['--rate', '2/1s']);

    expectExit(result, 0);
    const progressLines = result.stderr
      .split('\n')
      .filter((line) =>
        /^capital: \d+ pages? · \d+ records · [\d.]+ req\/s · [\d.]+ s of [\d.]+ s waiting on the limiter/.test(
          line,
        ),
      );
    expect(progressLines.length).toBeGreaterThanOrEqual(1);
    expect(result.stderr).toMatch(/^capital: done in \d+\.\d s: 9 pages · 431 records · /m);
    expect(result.stderr).toMatch(/rate 2\/1s/);
    expect(result.stderr).not.toContain('\u001b');
  });

  it('prints the summary but no progress line with --quiet', async () => {
    const api = await start();
    const out = join(folder, 'out.ndjson');

    const result = await runWtd(api.url, out, ['--rate', '2/1s', '--quiet']);

    expectExit(result, 0);
    expect(result.stderr).toMatch(/^capital: done in /m);
    expect(result.stderr).not.toMatch(/^capital: \d+ pages? · /m);
  });
});

describe('capital emulator wtd', () => {
  it('prints a URL on stdout that serves the API, and stops with exit 0 on SIGTERM', async () => {
    const cli = startCli(['emulator', 'wtd', '--port', '0'], { cwd: folder });

    try {
      const [url] = await cli.waitForStdout(/http:\/\/127\.0\.0\.1:\d+/);
      const response = await fetch(
        `${url}/api/v1/stock_search?search_term=${encodeURIComponent(searchTerm)}&api_token=demo`,
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ total_results: 431, total_pages: 9, page: 1 });
    } finally {
      cli.child.kill('SIGTERM');
    }
    const result = await cli.exited;

    expect(result.signal, describeRun(result)).toBeNull();
    expectExit(result, 0);
    expect(result.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(result.stderr).toMatch(/wtd emulator listening/);
  });

  it('accepts only the tokens given with --token', async () => {
    const cli = startCli(['emulator', 'wtd', '--port', '0', '--token', token], { cwd: folder });

    try {
      const [url] = await cli.waitForStdout(/http:\/\/127\.0\.0\.1:\d+/);
      const search = `${url}/api/v1/stock_search?search_term=gold&api_token=`;
      expect((await fetch(`${search}demo`)).status).toBe(401);
      expect((await fetch(`${search}${token}`)).status).toBe(200);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expectExit(await cli.exited, 0);
  });
});

describe('capital run --connector PATH', () => {
  const connectorModule = `
const pages = [
  [{ id: 'a1', title: 'Alpha' }, { id: 'a2', title: 'Beta', tags: ['x', 'y'] }],
  [{ id: 'b1', title: 'Gamma', score: 1.5 }],
  [{ id: 'c1', title: 'Delta' }, { id: 'c2', title: null }],
];

export const connector = {
  name: 'memo',
  description: 'Three pages held in memory, for tests.',
  params: [{ name: 'topic', description: 'a topic', default: 'all' }],
  credential: { envVar: 'MEMO_TOKEN', reference: 'env:MEMO_TOKEN' },
  defaultRate: '100/1s',
  seeds: (params) => [{ type: 'memo.page', topic: params.topic, page: 1, credentials: 'env:MEMO_TOKEN' }],
  createHandler: (runtime) => async (task) => {
    if (runtime.resolveCredential(task.credentials) !== 'x') throw new Error('The handler got the wrong token.');
    const data = pages[task.page - 1] ?? [];
    const nextTasks = task.page < pages.length ? [{ ...task, page: task.page + 1 }] : [];
    return { task, data, nextTasks };
  },
  limiterKey: () => 'memo',
  recordKey: (record) => record.id,
};
`;

  it('loads a connector module from the working folder and writes its records', async () => {
    await writeFile(join(folder, 'memo-connector.mjs'), connectorModule);
    const out = join(folder, 'memo.ndjson');

    const result = await runCli(
      [
        'run',
        '--connector',
        './memo-connector.mjs',
        '--base-url',
        'http://127.0.0.1:9',
        '--token',
        'x',
        '--rate',
        'off',
        '--out',
        out,
      ],
      { cwd: folder },
    );

    expectExit(result, 0);
    const lines = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map(({ _task_key, _fetched_at, ...rest }) => rest)).toEqual([
      { id: 'a1', title: 'Alpha', _page: 1, _record_key: 'a1' },
      { id: 'a2', title: 'Beta', tags: ['x', 'y'], _page: 1, _record_key: 'a2' },
      { id: 'b1', title: 'Gamma', score: 1.5, _page: 2, _record_key: 'b1' },
      { id: 'c1', title: 'Delta', _page: 3, _record_key: 'c1' },
      { id: 'c2', title: null, _page: 3, _record_key: 'c2' },
    ]);
    expect(result.stderr).toMatch(/memo --topic "all"/);
  });

  it('exits 2 when the module exports no connector', async () => {
    await writeFile(join(folder, 'empty.mjs'), 'export const nothing = 1;\n');

    const result = await runCli(['run', '--connector', './empty.mjs', '--out', join(folder, 'out.ndjson')], {
      cwd: folder,
    });

    expectExit(result, 2);
    expect(result.stderr).toMatch(/does not export a `connector`/);
  });
});
