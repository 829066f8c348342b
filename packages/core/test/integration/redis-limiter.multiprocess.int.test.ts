import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWindowOverflows, deleteKeys, kill, randomPrefix, redisUrl } from './fixtures/redis-keyspace.js';

const fixture = fileURLToPath(new URL('./fixtures/acquire-loop.mjs', import.meta.url));
const sources = new URL('../../src/limit/', import.meta.url);
const built = new URL('../../dist/limit/', import.meta.url);

const processes = 8;
const limit = 9;
const periodMs = 1000;
const durationMs = 4000;

type Done = { type: 'done'; grants: number[]; stats: { reservations: number; roundTrips: number } };

/** The children run the built package: refuse to test a build older than the sources. */
function assertBuildIsFresh(): void {
  for (const file of readdirSync(sources).filter(
    (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'),
  )) {
    const output = new URL(file.replace(/\.ts$/, '.js'), built);
    if (!existsSync(output) || statSync(output).mtimeMs < statSync(new URL(file, sources)).mtimeMs) {
      throw new Error(
        `packages/core/dist is missing or older than src/limit/${file}: run \`pnpm build\` first.`,
      );
    }
  }
}

let admin: Redis;
const prefix = randomPrefix('multiprocess');
const children: ChildProcess[] = [];

beforeAll(() => {
  assertBuildIsFresh();
  admin = new Redis(redisUrl);
});

afterAll(async () => {
  await Promise.all(children.map((child) => kill(child)));
  await deleteKeys(admin, prefix);
  await admin.quit();
});

describe('RedisLimiter across processes', () => {
  it('lets eight processes share 9/1s on one key: never over, nothing wasted, fair, one round trip per permit', async () => {
    for (let i = 0; i < processes; i++) {
      children.push(
        fork(fixture, [redisUrl, prefix, 'shared', `${limit}/1s`], { execArgv: [], stdio: 'inherit' }),
      );
    }
    const results = children.map((child) => {
      const messages: unknown[] = [];
      child.on('message', (message) => messages.push(message));
      return messages;
    });
    const ready = (child: ChildProcess) =>
      new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`a child exited with ${code} before it was ready`)));
      });
    await Promise.all(children.map(ready));
    const exits = children.map((child) => once(child, 'exit'));
    for (const child of children) child.send({ type: 'go', durationMs });
    await Promise.all(exits);

    const done = results.map((messages) =>
      messages.find((message): message is Done => (message as Done).type === 'done'),
    );
    expect(done.every((report) => report !== undefined)).toBe(true);
    const perProcess = done.map((report) => report?.grants ?? []);
    const grants = perProcess.flat().sort((a, b) => a - b);
    const first = grants[0] ?? 0;
    const last = grants.at(-1) ?? 0;
    const interval = periodMs / limit;
    // What the limit allowed from the first grant to the last, both included (the 0.01 forgives
    // the float rounding of grant times, see countWindowOverflows).
    const allowed = Math.floor((last - first) / interval + 0.01) + 1;
    const roundTrips = done.reduce((sum, report) => sum + (report?.stats.roundTrips ?? 0), 0);

    expect(grants.length).toBeGreaterThan(25);
    expect(countWindowOverflows(grants, limit, periodMs)).toBe(0);
    expect(grants.length).toBeGreaterThanOrEqual(0.97 * allowed);
    for (const own of perProcess) expect(own.length).toBeGreaterThanOrEqual(grants.length / processes / 2);
    expect(roundTrips / grants.length).toBeLessThanOrEqual(1.1);
  });
});
