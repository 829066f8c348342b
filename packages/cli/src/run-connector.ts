import {
  type Checkpoint,
  type Connector,
  type CrawlDedupe,
  type CrawlEvent,
  type CredentialResolver,
  crawlFrom,
  type Logger,
  type RateLimiter,
  type RetryOptions,
  type Task,
} from '@capital/core';
import { type Sink, type SinkSummary, writeTo } from '@capital/sinks';
import { lastValueFrom } from 'rxjs';
import { RunStats, type RunStatsSnapshot } from './run-stats.js';

/** Options of {@link runConnector}. */
export type RunConnectorOptions<T extends Task = Task, D = unknown> = {
  readonly connector: Connector<T, D>;
  /** Values of the connector's parameters (`{ search: 'new york' }`). */
  readonly params: Readonly<Record<string, string>>;
  /** Where the pages go. Closed on success, aborted on failure. */
  readonly sink: Sink<D>;
  /** The API's base URL. */
  readonly baseUrl: string;
  readonly resolveCredential: CredentialResolver;
  /** No limiter, no limit. */
  readonly limiter?: RateLimiter | undefined;
  /** @default 4 */
  readonly concurrency?: number | undefined;
  /** @default 2 × concurrency */
  readonly buffer?: number | undefined;
  /** @default the crawl's retry defaults */
  readonly retry?: RetryOptions | false | undefined;
  /**
   * How the crawl remembers tasks seen: every key (~32 bytes each) or a bounded window of them,
   * for crawls too big for one process's memory (see `CrawlDedupe`).
   * @default 'memory'
   */
  readonly dedupe?: CrawlDedupe | undefined;
  /**
   * Fails a chain of next tasks longer than this (`MaxDepthExceededError`): an opt-in guard.
   * @default Infinity
   */
  readonly maxDepth?: number | undefined;
  /** Per-request timeout, in ms. @default the connector's */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly logger?: Logger | undefined;
  /** Told of every crawl event, after the run's statistics counted it. */
  readonly onEvent?: ((event: CrawlEvent, stats: RunStats) => void) | undefined;
};

/** What a finished run reports. */
export type RunSummary = SinkSummary & RunStatsSnapshot;

/**
 * Runs one connector from its seeds to a sink: crawl with the limiter, write every page, close
 * the sink only when every page is stored. On any failure the sink is aborted (no output that
 * looks complete) and the error is rethrown.
 *
 * @example
 * await runConnector({ connector, params: { search: 'new york' }, sink: new FileSink({ path }),
 *   baseUrl: emulator.url, resolveCredential: createCredentialResolver(), limiter })
 */
export async function runConnector<T extends Task, D>(
  options: RunConnectorOptions<T, D>,
): Promise<RunSummary> {
  const { connector, sink } = options;
  const stats = new RunStats();
  const concurrency = options.concurrency ?? 4;
  try {
    const handler = connector.createHandler({
      baseUrl: options.baseUrl,
      resolveCredential: options.resolveCredential,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
    });
    // Seeds are drawn as the crawl has room for them, not all admitted up front.
    const pages$ = crawlFrom<T, D>(connector.seeds(options.params), handler, {
      concurrency,
      buffer: options.buffer ?? concurrency * 2,
      ...(options.limiter
        ? { limiter: options.limiter, limiterKey: (task: T) => connector.limiterKey(task) }
        : {}),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.dedupe === undefined ? {} : { dedupe: options.dedupe }),
      ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
      // A sink gives back the next tasks this connector's pages recorded, so they are its tasks.
      ...(sink.checkpoint ? { checkpoint: sink.checkpoint as Checkpoint<T> } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onEvent: (event) => {
        stats.record(event);
        options.onEvent?.(event, stats);
      },
    }).pipe(writeTo(sink));
    await lastValueFrom(pages$, { defaultValue: undefined });
  } catch (error) {
    await sink.abort(error).catch(() => {});
    throw error;
  }
  const summary = await sink.close();
  return { ...summary, ...stats.snapshot() };
}
