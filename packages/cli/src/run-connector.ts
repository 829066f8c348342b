import {
  type Connector,
  type CrawlEvent,
  type CredentialResolver,
  crawl,
  type Logger,
  type RateLimiter,
  type RetryOptions,
  type Task,
} from '@capital/core';
import { type Sink, type SinkSummary, writeTo } from '@capital/sinks';
import { from, lastValueFrom } from 'rxjs';
import { RunStats, type RunStatsSnapshot } from './run-stats.js';

/** Options of {@link runConnector}. */
export type RunConnectorOptions = {
  readonly connector: Connector;
  /** Values of the connector's parameters (`{ search: 'new york' }`). */
  readonly params: Readonly<Record<string, string>>;
  /** Where the pages go. Closed on success, aborted on failure. */
  readonly sink: Sink;
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
export async function runConnector(options: RunConnectorOptions): Promise<RunSummary> {
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
    const pages$ = from(connector.seeds(options.params)).pipe(
      crawl<Task, unknown>(handler, {
        concurrency,
        buffer: options.buffer ?? concurrency * 2,
        ...(options.limiter ? { limiter: options.limiter, limiterKey: (task: Task) => connector.limiterKey(task) } : {}),
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        ...(sink.checkpoint ? { checkpoint: sink.checkpoint } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        onEvent: (event) => {
          stats.record(event);
          options.onEvent?.(event, stats);
        },
      }),
      writeTo(sink),
    );
    await lastValueFrom(pages$, { defaultValue: undefined });
  } catch (error) {
    await sink.abort(error).catch(() => {});
    throw error;
  }
  const summary = await sink.close();
  return { ...summary, ...stats.snapshot() };
}
