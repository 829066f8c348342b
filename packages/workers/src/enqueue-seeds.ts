import type { Connector, Task } from '@capital/core';
import { crawlJob } from './crawl-job.js';
import { type CrawlJobOptions, crawlJobOptions } from './crawl-job-options.js';
import { type QueueConnectionOptions, resolveQueueConnection, withQueue } from './queue-connection.js';

/** Options of {@link enqueueSeeds}. */
export type EnqueueSeedsOptions = QueueConnectionOptions &
  CrawlJobOptions & {
    readonly connector: Connector;
    /** Values of the connector's parameters (`{ search: 'inc' }`). */
    readonly params: Readonly<Record<string, string>>;
    /**
     * The API's base URL, carried by every job of the crawl. Workers run these jobs only if
     * they were started with it (`baseUrl` / `allowedBaseUrls`); others refuse them.
     * @default the connector's default, as each worker sees it
     */
    readonly baseUrl?: string | undefined;
    /**
     * The sink's run the crawl writes (8 hex digits): every job carries it and its job id
     * includes it, so enqueuing the same seeds for a new run fetches them again.
     * @default none: job ids are the task keys alone
     */
    readonly runId?: string | undefined;
    /**
     * The seed tasks, when the run decided them (an incremental run asks from its `since`).
     * @default the connector's `seeds(params)`
     */
    readonly seeds?: readonly Task[] | undefined;
  };

/** What {@link enqueueSeeds} did. */
export type EnqueueSeedsResult = {
  readonly queue: string;
  /** The seeds' job ids (their task keys). */
  readonly ids: readonly string[];
  /** Seeds that were new to the queue; the others were there already, in some state. */
  readonly added: number;
};

/**
 * Puts a connector's seed tasks on the crawl's queue, as jobs whose ids are their task keys:
 * enqueuing the same seed again — while it runs, or within `keepCompletedSeconds` after — is a
 * no-op. Workers do the rest; `waitForCrawl` waits for them.
 *
 * @throws {QueueUnavailableError} when Redis does not answer within `connectTimeoutMs`.
 * @throws {InvalidOptionError} for options out of range.
 * @example await enqueueSeeds({ redis: 'redis://127.0.0.1:6379', queue: 'wtd-inc', connector, params: { search: 'inc' } });
 */
export function enqueueSeeds(options: EnqueueSeedsOptions): Promise<EnqueueSeedsResult> {
  const connection = resolveQueueConnection(options);
  const jobOptions = crawlJobOptions(options);
  const jobs = (options.seeds ?? options.connector.seeds(options.params)).map((task) =>
    crawlJob(options.connector.name, task, 0, {
      baseUrl: options.baseUrl,
      jobOptions,
      runId: options.runId,
    }),
  );
  return withQueue(connection, async (queue) => {
    // Only to report what was new: `addBulk` itself ignores ids that exist, race or not.
    const states = await Promise.all(jobs.map((job) => queue.getJobState(job.opts.jobId)));
    await queue.addBulk(jobs.map((job) => ({ ...job })));
    return {
      queue: connection.queue,
      ids: jobs.map((job) => job.opts.jobId),
      added: states.filter((state) => state === 'unknown').length,
    };
  });
}
