import type { Connector, Logger } from '@capital/core';
import type { Sink } from '@capital/sinks';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { crawlStateOf, readCrawlCounts } from './crawl-status.js';

/** What finishing runs needs of the worker around it. */
export type FinishRunContext = {
  /** The crawl's queue, open: its counts say whether the crawl is over. */
  readonly queue: Queue;
  /** The queue's Redis, where the open runs and the claims are kept (in the queue's keyspace). */
  readonly redis: Redis;
  readonly logger: Logger;
  /**
   * How long a claim to finish a run holds off the other workers, in ms. A worker that dies
   * holding it delays nothing for long: once it runs out, the next worker to see the crawl
   * over finishes the run.
   * @default 60_000
   */
  readonly claimMs?: number | undefined;
};

/** The connector and sink a worker writes a connector's runs with, if it loaded that connector. */
export type RunWriter = { readonly connector: Connector; readonly sink: Sink };

/** Redis answers a `SET … NX` that set nothing with `null`. */
const claimed = 'OK';

/** The hash of the queue's runs not yet finished: run id → connector name. */
const openRunsKey = (queue: Queue): string => queue.toKey('capital-runs');
const claimKey = (queue: Queue, runId: string): string => queue.toKey(`capital-run:${runId}`);

/**
 * Notes that the queue holds jobs of run `runId` (of connector `connector`), so that whichever
 * worker sees the queue drained finishes it, even one that ran none of its jobs' last.
 */
export async function noteOpenRun(
  runId: string,
  connector: string,
  context: FinishRunContext,
): Promise<void> {
  await context.redis.hset(openRunsKey(context.queue), runId, connector);
}

/**
 * Called after a job of a run completed (moved to completed, so the counts include it): when the
 * crawl is over — nothing waits, runs or is delayed, and no job failed, as `readCrawlStatus`
 * judges it — finishes each run the queue holds, once. A queue may hold several runs (a run
 * enqueued while another was under way): their jobs share the counts, so they finish together.
 *
 * Several workers may see the crawl over at once (each after its own last job). A `SET NX` claim
 * per run lets one of them try; the sink's finish is idempotent too (it leaves a finished run
 * alone, under the job's lock), so a claim that ran out while its holder was slow finishes
 * nothing twice. The claim becomes `finished` for good once the run is; a failure gives the
 * claim back, for the next job's worker to try again.
 *
 * The watermark is the run's start, for an incremental connector (as `capital run` commits it).
 *
 * @param writerOf the connector and sink of a connector name this worker loaded, else `undefined`
 * (the run is left to a worker that did).
 * @returns the runs this call finished.
 */
export async function finishRunsIfCrawlDone(
  writerOf: (connector: string) => Promise<RunWriter> | undefined,
  context: FinishRunContext,
): Promise<string[]> {
  const counts = await readCrawlCounts(context.queue);
  if (crawlStateOf(counts, 0) !== 'complete') return [];
  const open = await context.redis.hgetall(openRunsKey(context.queue));
  const finished: string[] = [];
  for (const [runId, name] of Object.entries(open)) {
    const writer = await writerOf(name);
    if (writer === undefined) continue;
    if (await finishRun(runId, writer, context)) finished.push(runId);
  }
  return finished;
}

async function finishRun(runId: string, writer: RunWriter, context: FinishRunContext): Promise<boolean> {
  const finish = writer.sink.runs?.finish;
  if (finish === undefined) return false;
  const { redis, queue } = context;
  const key = claimKey(queue, runId);
  const claim = await redis.set(key, 'finishing', 'PX', context.claimMs ?? 60_000, 'NX');
  if (claim !== claimed) {
    // Finished already (a replayed job of the run noted it open again): forget it.
    if ((await redis.get(key)) === 'finished') await redis.hdel(openRunsKey(queue), runId);
    return false;
  }
  try {
    const done = await finish.call(writer.sink.runs, runId, {
      watermark: (run) =>
        writer.connector.incremental === undefined ? undefined : new Date(run.startedAt).toISOString(),
    });
    await redis.multi().set(key, 'finished').hdel(openRunsKey(queue), runId).exec();
    if (done) context.logger.info(`Run ${runId} finished: the crawl's last task completed`, { runId });
    return done;
  } catch (error) {
    await redis.del(key).catch(() => {});
    throw error;
  }
}
