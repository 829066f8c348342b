import {
  type Checkpoint,
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
import { settleWithin } from './settle-within.js';
import { timedSink } from './telemetry/timed-sink.js';

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
    const pages$ = from(connector.seeds(options.params)).pipe(
      crawl<T, D>(handler, {
        concurrency,
        buffer: options.buffer ?? concurrency * 2,
        ...(options.limiter
          ? { limiter: options.limiter, limiterKey: (task: T) => connector.limiterKey(task) }
          : {}),
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        // A sink gives back the next tasks this connector's pages recorded, so they are its tasks.
        ...(sink.checkpoint ? { checkpoint: sink.checkpoint as Checkpoint<T> } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        onEvent: (event) => {
          stats.record(event);
          options.onEvent?.(event, stats);
        },
      }),
      writeTo(timedSink(sink)),
    );
    await lastValueFrom(pages$, { defaultValue: undefined });
  } catch (error) {
    // Bounded: the error must reach the caller even when the sink's server stopped answering.
    await settleWithin(
      'aborting the sink',
      () => sink.abort(error),
      abortTimeoutMs,
      (message) => options.logger?.warn(message),
    );
    throw error;
  }
  const summary = await untilAborted(sink.close(), options.signal);
  return { ...summary, ...stats.snapshot() };
}

/** How long an aborting sink may take to let go of its connections and files. */
const abortTimeoutMs = 10_000;

/**
 * Settles as `promise` does, or rejects with the signal's reason once it aborts: a sink's close
 * waits for its last writes (bounded by its own retries), and a user who stops the run then
 * should not have to wait for them. The run reports itself interrupted then, whatever the
 * close goes on to do before the process exits.
 */
function untilAborted<R>(promise: Promise<R>, signal: AbortSignal | undefined): Promise<R> {
  if (signal === undefined) return promise;
  return new Promise<R>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
