import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { Admin } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The sinks' read_committed reader: reads up to the topic's settled end, so a duplicate would show.
import { committedKeys } from '../../../sinks/test/integration/fixtures/kafka.js';
import { assertCliBuilt, type RunningCli, runCli, startCli } from '../run-cli.js';

// Two `capital worker` processes writing one Kafka topic at once: each needs a transactional id
// of its own, or every new worker fences the others off.

const brokers = process.env.KAFKA_BROKERS ?? '';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const token = `workers-kafka-${randomBytes(6).toString('hex')}`;
const root = `capital-test:${randomBytes(6).toString('hex')}`;
const topic = `capital-test.workers.${randomUUID().slice(0, 8)}`;
const expected = searchListings(generateListings(), 'group')
  .map((listing) => listing.symbol)
  .sort();

let emulator: RunningEmulator;
let redis: Redis;
const workers: RunningCli[] = [];
const queueFlags = ['--redis', redisUrl, '--queue', 'crawl', '--prefix', `${root}:queue`];
const options = (env: Record<string, string> = {}) => ({ cwd: tmpdir(), env: { REDIS_URL: '', ...env } });

beforeAll(async () => {
  if (brokers === '') throw new Error('Set KAFKA_BROKERS: node scripts/kafka/kafka.mjs with -- npx vitest …');
  assertCliBuilt();
  redis = new Redis(redisUrl);
  emulator = await startEmulator({ tokens: [token] });
});
afterAll(async () => {
  for (const worker of workers) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
  await emulator.close();
  const keys = await redis.keys(`${root}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  const admin = new Admin({ clientId: 'capital-test', bootstrapBrokers: brokers.split(',') });
  const mine = (await admin.listTopics()).filter((name) => name.startsWith(topic));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.close();
});

describe('capital worker --sink kafka://', () => {
  it('lets two workers write one topic at once: every listing once for read_committed consumers', async () => {
    for (const _ of [1, 2]) {
      const worker = startCli(
        [
          'worker',
          ...queueFlags,
          '--sink',
          `kafka://${brokers}/${topic}`,
          '--limiter-prefix',
          `${root}:limit:`,
          '--base-url',
          emulator.url,
        ],
        options({ WTD_API_TOKEN: token }),
      );
      workers.push(worker);
      for (
        let waited = 0;
        !worker.stderr().includes('capital: worker on queue') && waited < 20_000;
        waited += 50
      ) {
        await sleep(50);
      }
    }
    const enqueued = await runCli(
      ['enqueue', 'wtd', '--search', 'group', ...queueFlags, '--base-url', emulator.url, '--wait'],
      options(),
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);
    for (const worker of workers) worker.child.kill('SIGTERM');
    const ends = await Promise.all(workers.map((worker) => worker.exited));
    for (const end of ends) {
      expect(end.code, end.stderr).toBe(0);
      expect(end.stderr).not.toContain('FENCED');
    }
    expect(await committedKeys(topic)).toEqual(expected);
  });
  it('writes the run capital enqueue --sink opened, and finishes it once the crawl is over', async () => {
    const runTopic = `${topic}.runs`;
    const runQueue = ['--redis', redisUrl, '--queue', 'crawl', '--prefix', `${root}:runs`];
    const sink = `kafka://${brokers}/${runTopic}`;
    const started = [1, 2].map(() =>
      startCli(
        [
          'worker',
          ...runQueue,
          '--sink',
          sink,
          '--limiter-prefix',
          `${root}:limit:`,
          '--base-url',
          emulator.url,
        ],
        options({ WTD_API_TOKEN: token }),
      ),
    );
    workers.push(...started);
    for (const worker of started) {
      for (
        let waited = 0;
        !worker.stderr().includes('capital: worker on queue') && waited < 20_000;
        waited += 50
      ) {
        await sleep(50);
      }
    }
    const enqueued = await runCli(
      [
        'enqueue',
        'wtd',
        '--search',
        'group',
        ...runQueue,
        '--sink',
        sink,
        '--base-url',
        emulator.url,
        '--wait',
      ],
      options(),
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const runId = /: new run ([0-9a-f]{8})/.exec(enqueued.stderr.split('\n')[0] ?? '')?.[1];
    expect(runId).toBeDefined();
    const show = async () => {
      const shown = await runCli(
        ['state', 'show', 'wtd', '--search', 'group', '--sink', sink, '--json'],
        options(),
      );
      return (JSON.parse(shown.stdout) as { runs: { id: string; state: string; pages: number }[] }).runs;
    };
    let runs = await show();
    for (let waited = 0; runs[0]?.state !== 'finished' && waited < 60_000; waited += 500) {
      await sleep(500);
      runs = await show();
    }
    expect(runs).toEqual([expect.objectContaining({ id: runId, state: 'finished' })]);
    expect(runs[0]?.pages).toBeGreaterThan(0);
    for (const worker of started) worker.child.kill('SIGTERM');
    for (const end of await Promise.all(started.map((worker) => worker.exited))) {
      expect(end.code, end.stderr).toBe(0);
    }
    expect(await committedKeys(runTopic)).toEqual(expected);
  });
});
