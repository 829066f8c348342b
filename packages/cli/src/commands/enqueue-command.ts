import { type Connector, IncompleteRunError } from '@capital/core';
import {
  CrawlFailedError,
  type CrawlStatus,
  enqueueSeeds,
  redactRedisUrl,
  waitForCrawl,
} from '@capital/workers';
import { CliUsageError } from '../cli-error.js';
import { parseUrl, parseWholeNumber } from '../parse-values.js';
import { describeRun, parseRunChoice, parseSinceFlag, parseWriteFlag } from '../run-flags.js';
import { readConnectorParams } from './connector-params.js';
import { openEnqueueRun } from './open-enqueue-run.js';
import { asUsageError, type QueueFlags, queueConnectionOf } from './queue-flags.js';

/** The flags of `capital enqueue`, as commander hands them over. */
export type EnqueueFlags = QueueFlags & {
  readonly baseUrl?: string;
  readonly attempts: string;
  readonly lockDuration: string;
  readonly wait?: boolean;
  readonly quiet?: boolean;
  readonly sink?: string;
  readonly table?: string;
  readonly resume?: string;
  readonly fresh?: boolean;
  readonly since?: string;
  readonly write?: string;
  readonly [param: string]: string | boolean | undefined;
};

/** Where `capital enqueue` writes. */
export type EnqueueIo = { readonly stderr: NodeJS.WriteStream; readonly env: NodeJS.ProcessEnv };

/**
 * `capital enqueue NAME --search …`: puts the connector's seed tasks on the crawl's queue. With
 * `--wait`, waits until the crawl is over, printing progress on stderr (and which tasks stalled
 * because their worker stopped), and fails (exit 1) naming the tasks that failed, if any did:
 * the same verdict as `capital status`.
 *
 * @throws {CrawlFailedError} after `--wait` when tasks failed; {@link CliUsageError} for bad flags.
 */
export async function enqueueCommand(
  connector: Connector,
  flags: EnqueueFlags,
  io: EnqueueIo,
  signal: AbortSignal,
): Promise<void> {
  const connection = queueConnectionOf(flags, io.env);
  const params = readConnectorParams(connector, flags);
  const baseUrl = flags.baseUrl === undefined ? undefined : parseUrl('--base-url', flags.baseUrl);
  const attempts = parseWholeNumber('--attempts', flags.attempts, 1, 100);
  const lockDurationMs = parseWholeNumber('--lock-duration', flags.lockDuration, 100);
  const where = `queue ${connection.queue} at ${redactRedisUrl(connection.redis)}`;
  const choice = parseRunChoice(flags.resume, flags.fresh);
  const since = parseSinceFlag(flags.since);
  const disposition = flags.write === undefined ? undefined : parseWriteFlag(flags.write);
  if (
    flags.sink === undefined &&
    (choice.kind !== 'auto' || since !== undefined || disposition !== undefined)
  ) {
    throw new CliUsageError(
      '--resume, --fresh, --since and --write need --sink: the run is kept by the sink.',
    );
  }
  const run =
    flags.sink === undefined
      ? undefined
      : await openEnqueueRun(connector, params, {
          sink: flags.sink,
          table: flags.table,
          choice,
          since,
          disposition,
        });
  if (run !== undefined) {
    io.stderr.write(`capital: ${run.job} at ${run.where}: ${describeRun(run.opened, run.plan)}.\n`);
  }
  const result = await asUsageError(() =>
    enqueueSeeds({
      ...connection,
      connector,
      params,
      baseUrl,
      attempts,
      runId: run?.opened.run.id,
      seeds: run?.plan.seeds,
    }),
  );
  const known = result.ids.length - result.added;
  io.stderr.write(
    `capital: ${result.added} seed task${result.added === 1 ? '' : 's'} of ${connector.name} added to ${where}` +
      (known > 0
        ? run === undefined
          ? ` (${known} already there: a task runs once per queue; use a new --queue or --sink to crawl again)`
          : ` (${known} already there: this run enqueued them before)`
        : '') +
      '.\n' +
      (baseUrl === undefined
        ? ''
        : `capital: the tasks carry ${baseUrl}: only workers started with --base-url or --allow-base-url ${baseUrl} run them.\n`),
  );
  if (!flags.wait) return;

  const started = Date.now();
  let last = '';
  const outcome = await waitForCrawl({
    ...connection,
    lockDurationMs,
    runId: run?.opened.run.id,
    signal,
    onProgress: (status) => {
      const line = describeStatus(status);
      if (!flags.quiet && line !== last) io.stderr.write(`capital: ${line}\n`);
      last = line;
    },
  }).catch((error: unknown) => {
    if (signal.aborted) io.stderr.write('capital: stopped waiting; the workers go on with the crawl.\n');
    throw error;
  });
  if (outcome.state === 'failed') {
    throw new CrawlFailedError(
      connection.queue,
      outcome.failed,
      outcome.failures.map((job) => job.reason),
    );
  }
  if (!outcome.completeness.complete) {
    throw new IncompleteRunError(
      outcome.completeness.faults,
      run === undefined
        ? 'the pages stored stay stored, but the result is not whole (crawl again on a new --queue)'
        : `the pages stored stay stored, but the result is not whole: run ${run.opened.run.id} stays unfinished (enqueue again with --fresh to crawl anew)`,
    );
  }
  const seconds = (Date.now() - started) / 1000;
  io.stderr.write(
    `capital: crawl complete: ${outcome.completed} pages on ${where}, waited ${seconds.toFixed(1)} s.\n`,
  );
}

/**
 * `40 done · 3 active · 12 waiting · 1 delayed · 0 failed · 8.9 pages/s`, and after the active
 * ones, when some stalled: `2 stalled (their worker stopped; BullMQ moves them back to waiting …)`.
 */
export function describeStatus(status: CrawlStatus): string {
  const parts = [
    `${status.completed} done`,
    `${status.active} active`,
    ...(status.stalled > 0 ? [`${status.stalled} stalled (${stalledReason})`] : []),
    `${status.waiting + status.prioritized + status.waitingChildren} waiting`,
    `${status.delayed} delayed${describeDelayedUntil(status.delayedUntil)}`,
    `${status.failed} failed`,
    `${status.pagesPerSecond.toFixed(1)} pages/s`,
  ];
  return parts.join(' · ');
}

/** When delayed tasks run again: ` (until 2026-11-29 17:40:00 UTC)`, or a span of two times. */
function describeDelayedUntil(until: CrawlStatus['delayedUntil']): string {
  if (until === undefined) return '';
  const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return until.first === until.last
    ? ` (until ${time(until.first)})`
    : ` (until ${time(until.first)} … ${time(until.last)})`;
}

const stalledReason =
  "their worker stopped; BullMQ moves them back to waiting at a running worker's next stalled-job check";
