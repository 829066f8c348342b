import { Redis } from 'ioredis';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisSeenKeys } from '../../src/dedupe/redis-seen-keys.js';
import { TaskCycleError } from '../../src/errors.js';
import { ackAfter } from '../../src/operators/ack-after.js';
import type { CrawlDedupe } from '../../src/operators/crawl-config.js';
import { crawlFrom } from '../../src/operators/crawl-from.js';
import { taskKey } from '../../src/task.js';
import { listKeys, randomPrefix, redisUrl } from './fixtures/redis-keyspace.js';

type Node = { readonly type: 'node'; readonly id: number };

let redis: Redis;
const stores: RedisSeenKeys[] = [];
beforeAll(() => {
  redis = new Redis(redisUrl);
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.clear();
});
afterAll(async () => {
  await redis.quit();
});

/** A store of this test's own, cleared afterwards. */
function storeFor(test: string): RedisSeenKeys {
  const store = new RedisSeenKeys(redis, { name: randomPrefix(test) });
  stores.push(store);
  return store;
}

const node = (id: number): Node => ({ type: 'node', id });

/** A graph with many shared children: node n leads to 2n+1, 2n+2 and n+1 (below `size`), lazily. */
function handlerOver(size: number) {
  return async (task: Node) => ({
    task,
    data: [task.id],
    nextTasks: (function* () {
      for (const child of [2 * task.id + 1, 2 * task.id + 2, task.id + 1])
        if (child < size) yield node(child);
    })(),
  });
}

async function idsOf(dedupe: CrawlDedupe, seeds: Node[], size: number): Promise<number[]> {
  const pages = await lastValueFrom(
    crawlFrom(seeds, handlerOver(size), { concurrency: 4, retry: false, dedupe }).pipe(
      ackAfter(async (page) => page.data[0] as number),
      toArray(),
    ),
  );
  return pages;
}

describe('RedisSeenKeys', () => {
  it('claims a key once: true the first time, false after, within one batch too', async ({ task }) => {
    const store = storeFor(task.name);
    const [a, b] = [taskKey(node(1)), taskKey(node(2))];

    expect(await store.claim([a, b, a])).toEqual([true, true, false]);
    expect(await store.claim([b, taskKey(node(3))])).toEqual([false, true]);
    expect(await store.claim([])).toEqual([]);
  });

  it('runs every task of a graph full of duplicates exactly once, as in-memory de-duplication does', async ({
    task,
  }) => {
    const size = 3_000;

    const viaRedis = await idsOf(storeFor(task.name), [node(0), node(5), node(0)], size);
    const inMemory = await idsOf('memory', [node(0), node(5), node(0)], size);

    expect(viaRedis).toHaveLength(size);
    expect(new Set(viaRedis).size).toBe(size);
    expect([...viaRedis].sort((x, y) => x - y)).toEqual([...inMemory].sort((x, y) => x - y));
  });

  it('splits a crawl between two crawls sharing a store: each task runs in exactly one', async ({ task }) => {
    const size = 2_000;
    const name = randomPrefix(task.name);
    const [one, other] = [new RedisSeenKeys(redis, { name }), new RedisSeenKeys(redis, { name })];
    stores.push(one);

    const [first, second] = await Promise.all([
      idsOf(one, [node(0)], size),
      idsOf(other, [node(1_000)], size),
    ]);

    expect(first.length + second.length).toBe(size);
    expect(new Set([...first, ...second]).size).toBe(size);
  });

  it('keeps its buckets compact (listpacks) and forgets everything on clear()', async ({ task }) => {
    const name = randomPrefix(task.name);
    const store = new RedisSeenKeys(redis, { name, buckets: 16 });
    stores.push(store);
    const keys = Array.from({ length: 1_000 }, (_, id) => taskKey(node(id)));

    expect((await store.claim(keys)).every(Boolean)).toBe(true);
    const buckets = await listKeys(redis, `{${name}}:`);
    expect(buckets).toHaveLength(16);
    for (const bucket of buckets) expect(await redis.object('ENCODING', bucket)).toBe('listpack');
    await store.clear();
    expect(await listKeys(redis, `{${name}}:`)).toEqual([]);
    expect(await store.claim(keys.slice(0, 2))).toEqual([true, true]);
  });

  it('still fails a short cycle with TaskCycleError', async ({ task }) => {
    const handler = async (current: Node) => ({
      task: current,
      data: [],
      nextTasks: [node((current.id + 1) % 5)],
    });

    const run = lastValueFrom(
      crawlFrom([node(0)], handler, { retry: false, dedupe: storeFor(task.name) }).pipe(
        ackAfter(async () => {}),
      ),
      { defaultValue: undefined },
    );

    await expect(run).rejects.toBeInstanceOf(TaskCycleError);
  });
});
