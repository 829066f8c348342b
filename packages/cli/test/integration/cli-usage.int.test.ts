import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '@capital/wtd-connector/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCliBuilt, runCli } from '../run-cli.js';

// What a new user meets first: help, --version, an empty token, a PostgreSQL URL without a user,
// and the progress figures on a pipe.

const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

let folder: string;
beforeAll(() => assertCliBuilt());
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-usage-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('capital help and version', () => {
  it('lists the installed connectors and their parameters in `capital run --help`', async () => {
    const result = await runCli(['run', '--help'], { cwd: folder });
    // Sorted by name: stripe, then wtd; a switch shows no <value>.
    expect(result.stdout).toMatch(/Connectors installed .*:\n {2}stripe {2}Stripe's customers/);
    expect(result.stdout).toMatch(
      /\n {6}--with-lines {2}invoices: also every invoice's line items\n {2}wtd {2}World Trading Data's stock search/,
    );
    expect(result.stdout).toMatch(
      /\n {6}--search <value> {2}the search term, e\.g\. "new york" \(required\)\n/,
    );
    expect(result.code).toBe(0);
  });

  it("prints the CLI package's version with --version", async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const result = await runCli(['--version'], { cwd: folder });
    expect(result.stdout).toBe(`${manifest.version}\n`);
    expect(result.code).toBe(0);
  });
});

describe('capital run --token', () => {
  it.each([
    ['without --base-url', []],
    ['with --base-url', ['--base-url', 'http://127.0.0.1:9']],
  ])('refuses an empty token as a bad command line (exit 2), %s', async (_case, extra) => {
    const result = await runCli(['run', 'wtd', '--search', 'new york', '--token', '', ...extra], {
      cwd: folder,
    });
    expect(result.stderr).toContain('capital: error: --token: the token is empty.');
    expect(result.stderr).not.toContain('WTD_API_TOKEN');
    expect(result.code).toBe(2);
  });
});

describe('capital run --sink postgres://HOST/DB (no user)', () => {
  let admin: pg.Pool;
  let schema: string;
  beforeAll(() => {
    admin = new pg.Pool({ ...server, max: 1 });
  });
  afterAll(async () => {
    await admin.end();
  });
  beforeEach(() => {
    schema = `capital_test_${randomBytes(6).toString('hex')}`;
  });
  afterEach(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  const sink = () => `postgres://${server.host}:${server.port}/${server.database}?schema=${schema}`;

  it('connects as PGUSER when USER is unset', async () => {
    const result = await runCli(['run', 'wtd', '--search', 'new york', '--sink', sink(), '--quiet'], {
      cwd: folder,
      env: { USER: '', PGUSER: server.user },
    });
    expect(result.stderr).not.toContain('capital: error');
    expect(result.code).toBe(0);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".wtd_stock_search`);
    expect(rows[0].n).toBe(431);
  });

  it("connects as the operating system's user when USER and PGUSER are unset, and says so", async () => {
    const osUser = userInfo().username;
    const { rows } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [osUser]);
    const result = await runCli(['run', 'wtd', '--search', 'new york', '--sink', sink(), '--quiet'], {
      cwd: folder,
      env: { USER: '', PGUSER: '' },
    });
    expect(result.stderr).not.toContain('no PostgreSQL user name specified');
    if (rows.length === 0) {
      // This machine has no role of that name: the error names the user that was tried.
      expect(result.stderr).toContain(`role "${osUser}" does not exist (connecting as user "${osUser}")`);
      expect(result.code).toBe(1);
    } else {
      expect(result.code).toBe(0);
    }
  });
});

describe('capital run progress on a pipe', () => {
  const token = `usage-${randomBytes(6).toString('hex')}`;

  it('shows figures a user can check against the 9/1s limit: req/s at most 9, limiter wait within the run', async () => {
    const api = await startEmulator({ tokens: [token] });
    try {
      const out = join(folder, 'out.ndjson');
      const result = await runCli(
        ['run', 'wtd', '--search', 'new york', '--base-url', api.url, '--token', token, '--out', out],
        { cwd: folder },
      );
      expect(result.code).toBe(0);
      const lines = [
        ...result.stderr.matchAll(/ ([\d.]+) req\/s · ([\d.]+) s of ([\d.]+) s waiting on the limiter/g),
      ];
      // A line at the first page (piped output used to stay silent for 2 s), and the summary.
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const [, rate, waited, elapsed] of lines) {
        expect(Number(rate)).toBeLessThanOrEqual(9);
        expect(Number(waited)).toBeLessThanOrEqual(Number(elapsed));
      }
    } finally {
      await api.close();
    }
  });

  it('says at once which page it retries, when and why, without the token', async () => {
    const api = await startEmulator({ tokens: [token], faultRate: 1 });
    try {
      const result = await runCli(
        ['run', 'wtd', '--search', 'new york', '--base-url', api.url, '--token', token, '--retries', '2'],
        { cwd: folder },
      );
      expect(result.stderr).toMatch(/^capital: retrying page 1 in \d+\.\d s: HTTP 50[023]: /m);
      expect(result.stderr.match(/^capital: retrying page 1 /gm)).toHaveLength(2);
      expect(result.stdout + result.stderr).not.toContain(token);
      expect(result.code).toBe(1);
    } finally {
      await api.close();
    }
  });
});
