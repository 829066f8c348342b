import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { honestPage, json, type LyingAnswer, type LyingApi, startLyingApi } from '../lying-api.js';
import { assertCliBuilt, type CliResult, runCli } from '../run-cli.js';

// `capital run wtd` against an API that lies about its totals: it must never exit 0 with
// listings missing or twice, and with --allow-incomplete it keeps the output but says loudly
// what is missing.

// Spaces, a slash and a plus: raw, URL-encoded and form-encoded, the token is spelt three ways.
const token = 'lying token/41c7+x';
const spellings = [token, encodeURIComponent(token), new URLSearchParams({ t: token }).toString().slice(2)];
let folder: string;
let api: LyingApi | undefined;

beforeAll(() => {
  assertCliBuilt();
});
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-lying-'));
});
afterEach(async () => {
  await api?.close();
  api = undefined;
  await rm(folder, { recursive: true, force: true });
});

/** The folder's files but the runs' state file, which records the failed run by design. */
async function outputFiles(): Promise<string[]> {
  return (await readdir(folder)).filter((name) => !name.endsWith('.runs.json'));
}

function describeRun(result: CliResult): string {
  return `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

async function runAgainst(answer: LyingAnswer, extra: readonly string[] = []): Promise<CliResult> {
  api = await startLyingApi(answer);
  return runCli(
    [
      'run',
      'wtd',
      '--search',
      'new york',
      '--base-url',
      api.url,
      '--token',
      token,
      '--out',
      join(folder, 'out.ndjson'),
      '--rate',
      'off',
      '--retries',
      '1',
      ...extra,
    ],
    { cwd: folder },
  );
}

async function storedSymbols(): Promise<string[]> {
  const text = await readFile(join(folder, 'out.ndjson'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { symbol: string }).symbol);
}

const lies: { name: string; answer: LyingAnswer; fault: RegExp; stored: number; missing: RegExp }[] = [
  {
    name: 'total_pages 1 while total_results 431',
    answer: (_page, honest) => json({ ...honest, total_pages: 1 }),
    fault: /total_pages is 1, but 431 results at 50 per page make 9/,
    stored: 50,
    missing: /50 of 431 records stored \(381 missing\)/,
  },
  {
    name: 'page 4 holds 10 listings while the totals say 50',
    answer: (page, honest) => json(page === 4 ? { ...honest, data: honest.data.slice(0, 10) } : honest),
    fault: /the page has 10 records, not 50, yet it is not the last of 9/,
    stored: 391,
    missing: /391 of 431 records stored \(40 missing\)/,
  },
  {
    name: 'page 6 repeats page 5',
    answer: (page, honest) => json(page === 6 ? { ...honest, data: honestPage(5).data } : honest),
    fault: /50 of its 50 records were already stored by another page \(duplicates\)/,
    stored: 381,
    missing: /381 of 431 records stored \(50 missing\)/,
  },
  {
    name: 'total_results 431 with total_pages 0',
    answer: (_page, honest) => json({ ...honest, total_pages: 0, total_returned: 0, data: [] }),
    fault: /total_pages is 0, but 431 results at 50 per page make 9/,
    stored: 0,
    missing: /0 of 431 records stored \(431 missing\)/,
  },
];

describe('capital run wtd against an API that lies about its totals', () => {
  for (const lie of lies) {
    it(`exits 1 and finalises nothing when ${lie.name}`, async () => {
      const result = await runAgainst(lie.answer);

      expect(result.code, describeRun(result)).toBe(1);
      expect(result.stderr).toMatch(lie.fault);
      expect(await outputFiles()).toEqual([]);
      for (const spelling of spellings) expect(result.stderr).not.toContain(spelling);
    });

    it(`with --allow-incomplete keeps what it got and says loudly what is missing when ${lie.name}`, async () => {
      const result = await runAgainst(lie.answer, ['--allow-incomplete']);

      expect(result.code, describeRun(result)).toBe(0);
      expect(result.stderr).toMatch(/capital: INCOMPLETE \(--allow-incomplete\): .*/);
      expect(result.stderr).toMatch(lie.missing);
      expect(result.stderr).toMatch(lie.fault);
      const symbols = await storedSymbols();
      expect(symbols).toHaveLength(lie.stored);
      expect(new Set(symbols).size).toBe(symbols.length);
    });
  }

  it('fails at once, without a retry, on the real API\'s refused key: 200 {"Message":"Invalid API Key."}', async () => {
    const result = await runAgainst(() => json({ Message: 'Invalid API Key.' }), ['--retries', '5']);

    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stderr).toMatch(/The API refused the token \(it answered 200 with: Invalid API Key\.\)/);
    expect(api?.pages).toEqual([1]);
    expect(await outputFiles()).toEqual([]);
  });
});

describe('capital run wtd against an API that echoes the token', () => {
  const form = spellings[2] as string;
  for (const [what, answer] of [
    ['a 200 that is not JSON', () => ({ body: `Unknown api_token ${token}, see docs`, type: 'text/plain' })],
    [
      'a 500 body, form-encoded',
      () => ({ status: 500, body: JSON.stringify({ message: `Internal error for api_token=${form}` }) }),
    ],
    ['a 200 JSON error, form-encoded', () => json({ message: `Unknown api_token ${form}` })],
  ] as const) {
    it(`never prints it when it comes back in ${what}`, async () => {
      const result = await runAgainst(answer as LyingAnswer);

      expect(result.code, describeRun(result)).toBe(1);
      expect(result.stderr).toMatch(/\[redacted\]/);
      for (const spelling of spellings) expect(result.stdout + result.stderr).not.toContain(spelling);
      expect(await outputFiles()).toEqual([]);
    });
  }
});
