import {
  type Checkpoint,
  CompletenessLedger,
  type CompletenessReport,
  type Connector,
  type CrawlDedupe,
  type CrawlEvent,
  type CredentialResolver,
  checkCompleteness,
  crawlFrom,
  createLimiterKeys,
  IncompleteRunError,
  type Logger,
  type RateLimiter,
  type RetryOptions,
  type RunChoice,
  RunDeferredError,
  type RunInfo,
  redactError,
  resolveRetryPolicy,
  type Task,
  warmConnections,
} from '@capital/core';
import {
  crawlBuffer,
  type OpenedRun,
  type Sink,
  type SinkSummary,
  stillDeferred,
  writeTo,
} from '@capital/sinks';
import { lastValueFrom, map } from 'rxjs';
import { planSeeds, type SeedPlan } from './plan-seeds.js';
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
  /**
   * The deployment's secret for limiter keys (`CAPITAL_KEY_SECRET`); see `createLimiterKeys`.
   * @default undefined — a slow hash of the credential instead
   */
  readonly keySecret?: string | undefined;
  /** No limiter, no limit. */
  readonly limiter?: RateLimiter | undefined;
  /** @default the connector's `defaultConcurrency`, else 4 */
  readonly concurrency?: number | undefined;
  /**
   * Pages fetched ahead of the sink. Without it: 2 × concurrency, or, for a sink that says how
   * many records it groups (`maxPendingRecords`), up to that many records in up to
   * `maxPendingWrites` pages (see `crawlBuffer`).
   */
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
  /**
   * The longest pause the API may ask for that the run waits out, in ms; a longer one ends the
   * run with `RunDeferredError` once the pages fetched are stored, the run left resumable.
   * @default 300_000 (5 minutes)
   */
  readonly deferAfterMs?: number | undefined;
  /** Per-request timeout, in ms. @default the connector's */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly logger?: Logger | undefined;
  /**
   * Finalise the sink even when the run holds less (or more) than its pages said it must, or a
   * page's fault survived its retries; the summary's `completeness` says what is missing.
   * @default false: such a run fails with `IncompleteRunError` and the sink is aborted.
   */
  readonly allowIncomplete?: boolean | undefined;
  /**
   * Which run to write, on a sink that keeps runs: the job's latest unfinished one or else a
   * new one (`auto`), a new one (`fresh`), or a named one (`resume`).
   * @default { kind: 'auto' }
   */
  readonly run?: RunChoice | undefined;
  /** Asks an incremental connector for records since this point, over the job's watermark. */
  readonly since?: Date | undefined;
  /** How far before the watermark an incremental run asks again, in ms. @default the connector's */
  readonly lookBackMs?: number | undefined;
  /**
   * Told of the run to resume when the API deferred it and its `resumeAt` has not come: the run
   * then stops at once with `RunDeferredError`, before any request or write (`fresh` starts a new
   * run instead).
   */
  readonly onRunStillDeferred?: ((run: RunInfo) => void) | undefined;
  /** Told which run opened and how its seeds ask, before the first request. */
  readonly onRunOpened?: ((opened: OpenedRun | undefined, plan: SeedPlan<T>) => void) | undefined;
  /** Told of every crawl event, after the run's statistics counted it. */
  readonly onEvent?: ((event: CrawlEvent, stats: RunStats) => void) | undefined;
};

/** What a finished run reports. */
export type RunSummary = SinkSummary &
  RunStatsSnapshot & {
    /** What was stored against what the pages said; not `complete` only with `allowIncomplete`. */
    readonly completeness: CompletenessReport;
    /** The run it wrote, on a sink that keeps runs. */
    readonly runId?: string | undefined;
    /** The watermark it committed (incremental connectors). */
    readonly watermark?: string | undefined;
  };

/**
 * Runs one connector from its seeds to a sink: crawl with the limiter, write every page, close
 * the sink only when every page is stored. On any failure the sink is aborted (no output that
 * looks complete) and the error is rethrown, without any secret the resolver handed out.
 *
 * Every page goes through `checkCompleteness`: records another page already gave, and figures
 * (`expect`) the pages contradict, are faults retried like transient errors; at the end the
 * stored records and pages must match what the pages stated, or the run fails with
 * `IncompleteRunError` — unless `allowIncomplete`, when the summary's `completeness` lists them.
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
  const concurrency = options.concurrency ?? connector.defaultConcurrency ?? 4;
  const ledger = new CompletenessLedger();
  const allowIncomplete = options.allowIncomplete === true;
  let completeness: CompletenessReport;
  let watermark: string | undefined;
  let opened: OpenedRun | undefined;
  try {
    let plan: SeedPlan<T> | undefined;
    const decide = (resumed: boolean, resumedSince: string | undefined, last: string | undefined) =>
      planSeeds(connector, options.params, {
        disposition: sink.disposition ?? 'merge',
        resumed,
        resumedSince,
        watermark: last,
        since: options.since,
        lookBackMs: options.lookBackMs,
      });
    if (sink.runs) {
      // The API asked us to wait: resuming before then would only draw the same 429.
      const now = Date.now();
      const deferred = stillDeferred(await sink.runs.list(), options.run ?? { kind: 'auto' }, now);
      if (deferred?.resumeAt !== undefined) {
        options.onRunStillDeferred?.(deferred);
        throw new RunDeferredError({ resumeAt: deferred.resumeAt, waitMs: deferred.resumeAt - now });
      }
      opened = await sink.runs.open({
        choice: options.run ?? { kind: 'auto' },
        since: (last) => {
          plan = decide(false, undefined, last);
          return plan.since;
        },
        // The run finishes in its last page's transaction, with the same watermark as below.
        finish: connector.incremental ? { watermark: (run) => new Date(run.startedAt).toISOString() } : {},
      });
      if (opened.resumed) plan = decide(true, opened.run.since, opened.watermark);
      // The watermark is the run's start (a resumed run's first start), never its end: what
      // changed while it ran is asked again by the next run.
      if (connector.incremental) watermark = new Date(opened.run.startedAt).toISOString();
    }
    plan ??= decide(false, undefined, undefined);
    options.onRunOpened?.(opened, plan);
    const handler = checkCompleteness(
      connector.createHandler({
        baseUrl: options.baseUrl,
        resolveCredential: options.resolveCredential,
        timeoutMs: options.timeoutMs,
        logger: options.logger,
      }),
      {
        ledger,
        recordKey: (record: D) => connector.recordKey(record),
        maxAttempts: options.retry === false ? 1 : resolveRetryPolicy(options.retry).retries + 1,
        allowIncomplete,
      },
    );
    const keys = createLimiterKeys({
      resolveCredential: options.resolveCredential,
      secret: options.keySecret,
    });
    // Connections ready before the first grant: a permit must not wait for a handshake (its
    // request would reach the API late, bunched with later ones). One per request in flight.
    if (options.limiter) await warmConnections(options.baseUrl, concurrency);
    // Seeds are drawn as the crawl has room for them, not all admitted up front.
    const pages$ = crawlFrom<T, D>(plan.seeds, handler, {
      concurrency,
      ...crawlBuffer(concurrency, options.buffer, sink),
      ...(options.limiter
        ? { limiter: options.limiter, limiterKey: (task: T) => connector.limiterKey(task, keys) }
        : {}),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.dedupe === undefined ? {} : { dedupe: options.dedupe }),
      ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
      ...(options.deferAfterMs === undefined ? {} : { deferAfterMs: options.deferAfterMs }),
      // A sink gives back the next tasks this connector's pages recorded, so they are its tasks.
      ...(sink.checkpoint ? { checkpoint: sink.checkpoint as Checkpoint<T> } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onEvent: (event) => {
        if (event.type === 'page-skipped') ledger.skipped();
        stats.record(event);
        options.onEvent?.(event, stats);
      },
    }).pipe(
      // A run found incomplete must not finish with its last page: the check below fails it.
      map((page) =>
        page.last === true && !allowIncomplete && !ledger.report().complete ? notLast(page) : page,
      ),
      writeTo(timedSink(sink)),
    );
    await lastValueFrom(pages$, { defaultValue: undefined });
    completeness = ledger.report();
    if (!completeness.complete && !allowIncomplete) throw new IncompleteRunError(completeness.faults);
  } catch (error) {
    // Bounded: the error must reach the caller even when the sink's server stopped answering.
    await settleWithin(
      'aborting the sink',
      () => sink.abort(error),
      abortTimeoutMs,
      (message) => options.logger?.warn(message),
    );
    throw redactError(error);
  }
  const summary = await untilAborted(sink.close({ watermark }), options.signal);
  return { ...summary, ...stats.snapshot(), completeness, runId: opened?.run.id, watermark };
}

/** The page as it is, but not marked the crawl's last: the run is left for `close()` to finish. */
function notLast<P extends { readonly last?: true | undefined }>(page: P): P {
  const { last: _last, ...rest } = page;
  return rest as P;
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
