// Several workers that each see a crawl over race to finish its run: against the real Redis, one
// claim per run lets one of them try, and a failed finish gives the claim back.
import { randomBytes } from 'node:crypto';
import type { Connector, RunInfo } from '@capital/core';
import type { FinishRunById, Sink } from '@capital/sinks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { finishRunsIfCrawlDone, noteOpenRun, type RunWriter } from '../../src/finish-run.js';

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const runId = '0a1b2c3d';
const startedAt = Date.UTC(2026, 10, 29, 12);

let redis: Redis;
let prefix: string;
let queue: Queue;

beforeAll(() => {
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  await redis.quit();
});
beforeEach(async () => {
  prefix = `capital-test:${randomBytes(6).toString('hex')}`;
  queue = new Queue('crawl', { connection: { url: redisUrl }, prefix });
  await queue.waitUntilReady();
});
afterEach(async () => {
  await queue.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
});

/** A sink whose ledger notes each finish, and fails the first `failures` of them. */
function ledgerSink(failures = 0) {
  const calls: (string | undefined)[] = [];
  const finished = new Set<string>();
  const sink = {
    runs: {
      finish: async (id: string, options: FinishRunById = {}) => {
        // Another turn of the event loop, so that racing callers overlap.
        await new Promise((resolve) => setImmediate(resolve));
        if (calls.length < failures) {
          calls.push('failed');
          throw new Error('connection terminated');
        }
        const run = { id, startedAt } as RunInfo;
        calls.push(options.watermark?.(run));
        if (finished.has(id)) return false;
        finished.add(id);
        return true;
      },
    },
  } as unknown as Sink;
  return { sink, calls };
}

const incremental = { name: 'test', incremental: { cursorField: 'created' } } as unknown as Connector;
const full = { name: 'test' } as unknown as Connector;

/** Notes run `id` open on the queue, then asks to finish the queue's runs with `writer`. */
async function finishWith(writer: RunWriter, id = runId): Promise<string[]> {
  const context = { queue, redis, logger };
  await noteOpenRun(id, writer.connector.name, context);
  return finishRunsIfCrawlDone((name) => (name === 'test' ? Promise.resolve(writer) : undefined), context);
}

describe('finishRunsIfCrawlDone', () => {
  it('finishes the run once when several workers see the crawl over at once, with its start as the watermark', async () => {
    const { sink, calls } = ledgerSink();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => finishWith({ connector: incremental, sink })),
    );
    expect(results.flat()).toEqual([runId]);
    expect(calls).toEqual([new Date(startedAt).toISOString()]);
    expect(await redis.get(queue.toKey(`capital-run:${runId}`))).toBe('finished');
    // A later job of the run (a replay) finds it claimed for good.
    expect(await finishWith({ connector: incremental, sink })).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(await redis.hlen(queue.toKey('capital-runs'))).toBe(0);
  });

  it('finishes nothing while a task waits', async () => {
    await queue.add('test', { task: 1 }, { jobId: `${runId}-next` });
    const { sink, calls } = ledgerSink();
    expect(await finishWith({ connector: full, sink })).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('gives the claim back when finishing fails, so the next worker finishes the run, with no watermark for a full refresh', async () => {
    const { sink, calls } = ledgerSink(1);
    await expect(finishWith({ connector: full, sink })).rejects.toThrow('connection terminated');
    expect(await finishWith({ connector: full, sink })).toEqual([runId]);
    expect(calls).toEqual(['failed', undefined]);
  });

  it('finishes every run the drained queue holds, an earlier one too, and leaves those of connectors it did not load', async () => {
    const { sink, calls } = ledgerSink();
    const context = { queue, redis, logger };
    await noteOpenRun('11111111', 'test', context);
    await noteOpenRun('33333333', 'other', context);
    expect((await finishWith({ connector: full, sink }, '22222222')).sort()).toEqual([
      '11111111',
      '22222222',
    ]);
    expect(calls).toHaveLength(2);
    expect(await redis.hkeys(queue.toKey('capital-runs'))).toEqual(['33333333']);
  });
});
