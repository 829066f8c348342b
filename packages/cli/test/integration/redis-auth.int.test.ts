import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, type RunningCli, runCli, startCli } from '../run-cli.js';

// A Redis of its own, as production runs one: a password on the default user, an ACL user for
// Capital, and TLS with a certificate of a private CA (handed to Node by NODE_EXTRA_CA_CERTS).
// The limiter (`capital run --redis`) and the queue (`enqueue`, `worker`, `status`) must connect
// with `redis://user:pass@…` and `rediss://user:pass@…`, and never print the password.

const pgServer = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};
const adminPassword = `admin-${randomBytes(8).toString('hex')}`;
const userPassword = `user-${randomBytes(8).toString('hex')}`;
const token = `acl-${randomBytes(6).toString('hex')}`;

let folder: string;
let redisServer: ChildProcess;
let port: number;
let tlsPort: number;
let admin: Redis;
let db: pg.Pool;
let emulator: RunningEmulator | undefined;
const children: RunningCli[] = [];
const schemas: string[] = [];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A private CA and a certificate for 127.0.0.1 signed by it, made with openssl. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Capital test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.cnf',
    '-out',
    'server.crt',
  );
}

beforeAll(async () => {
  assertCliBuilt();
  folder = await mkdtemp(join(tmpdir(), 'capital-redis-auth-'));
  await writeFile(join(folder, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  makeCertificates(folder);
  port = await freePort();
  tlsPort = await freePort();
  redisServer = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      join(folder, 'server.crt'),
      '--tls-key-file',
      join(folder, 'server.key'),
      '--tls-ca-cert-file',
      join(folder, 'ca.crt'),
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      folder,
      '--requirepass',
      adminPassword,
      // The ACL user Capital connects as: every key and command, nothing else is needed here.
      '--user',
      'capital',
      'on',
      `>${userPassword}`,
      '~*',
      '&*',
      '+@all',
    ],
    { stdio: 'ignore' },
  );
  admin = new Redis({
    port,
    host: '127.0.0.1',
    password: adminPassword,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  // Until the server listens, connection errors are expected: the loop below retries them.
  admin.on('error', () => {});
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await admin.connect();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      admin.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  db = new pg.Pool({ ...pgServer, max: 2 });
});

afterAll(async () => {
  for (const cli of children.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.exited.catch(() => {});
  }
  await emulator?.close();
  admin?.disconnect();
  redisServer?.kill('SIGKILL');
  for (const schema of schemas) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db?.end();
  await rm(folder, { recursive: true, force: true });
});

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const env = () => ({ REDIS_URL: '', WTD_API_TOKEN: token, NODE_EXTRA_CA_CERTS: join(folder, 'ca.crt') });

describe('Redis with a password, an ACL user and TLS', () => {
  it('capital run --redis redis://user:pass@… shares its limit there, and never prints the password', async () => {
    const url = `redis://capital:${userPassword}@127.0.0.1:${port}`;
    const out = join(folder, 'run.ndjson');
    const run = await runCli(
      [
        'run',
        'wtd',
        '--search',
        'group',
        '--quiet',
        '--out',
        out,
        '--redis',
        url,
        '--limiter-prefix',
        'acl-run:',
      ],
      { cwd: folder, env: env() },
    );
    expect(run.stderr).toContain(`shared through Redis at redis://capital:***@127.0.0.1:${port}`);
    // The limiter has no fallback: had it not reached this Redis, the run would have failed.
    expect(run.code).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain(userPassword);
  });

  it('fails with a clear message, without the password, when the password is wrong', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const status = await runCli(
      ['status', '--redis', `redis://capital:${wrong}@127.0.0.1:${port}`, '--queue', 'acl'],
      { cwd: folder, env: env() },
    );
    expect(status.code).not.toBe(0);
    expect(status.stderr).toMatch(/WRONGPASS|NOAUTH|invalid username-password/);
    expect(status.stderr).not.toContain(wrong);
  });

  it('enqueue, worker and status run over rediss://user:pass@… (TLS, private CA)', async () => {
    emulator = await startEmulator({ tokens: [token] });
    const schema = `capital_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const url = `rediss://capital:${userPassword}@127.0.0.1:${tlsPort}`;
    const queueFlags = ['--redis', url, '--queue', 'tls', '--prefix', 'acl-tls:queue'];
    const sink = `postgres://${encodeURIComponent(pgServer.user)}@${pgServer.host}:${pgServer.port}/${pgServer.database}?schema=${schema}`;
    const worker = startCli(
      [
        'worker',
        ...queueFlags,
        '--sink',
        sink,
        '--limiter-prefix',
        'acl-tls:limit:',
        '--base-url',
        emulator.url,
      ],
      { cwd: folder, env: env(), killAfterMs: 110_000 },
    );
    children.push(worker);
    const crawl = await runCli(
      ['enqueue', 'wtd', '--search', 'group', ...queueFlags, '--base-url', emulator.url, '--wait', '--quiet'],
      { cwd: folder, env: env(), killAfterMs: 110_000 },
    );
    expect(crawl.stderr).toContain('crawl complete');
    expect(crawl.code).toBe(0);
    const status = await runCli(['status', ...queueFlags, '--json'], { cwd: folder, env: env() });
    expect(status.code).toBe(0);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".wtd_stock_search`,
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
    worker.child.kill('SIGTERM');
    const ended = await worker.exited;
    expect(ended.code).toBe(0);
    expect(ended.stderr).toContain(`rediss://capital:***@127.0.0.1:${tlsPort}`);
    const printed = [ended.stderr, crawl.stderr, crawl.stdout, status.stdout, status.stderr].join('\n');
    expect(printed).not.toContain(userPassword);
  });

  it('refuses the TLS connection when the CA is not trusted', async () => {
    const status = await runCli(
      ['status', '--redis', `rediss://capital:${userPassword}@127.0.0.1:${tlsPort}`, '--queue', 'tls'],
      { cwd: folder, env: { REDIS_URL: '' } },
    );
    expect(status.code).not.toBe(0);
    expect(status.stderr).not.toContain(userPassword);
  });
});
