import cliProgress from 'cli-progress';
import type { RetryNote, RunStatsSnapshot } from './run-stats.js';

/** Shows a run's progress on stderr. */
export type Progress = {
  update(stats: RunStatsSnapshot): void;
  stop(): void;
};

/** Options of {@link createProgress}. */
export type ProgressOptions = {
  /** @default process.stderr */
  readonly stream?: NodeJS.WriteStream;
  /**
   * Between two plain progress lines (when stderr is not a terminal), in ms.
   * @default 2000
   */
  readonly intervalMs?: number;
  /** Prints nothing. */
  readonly quiet?: boolean;
  /** Strings cut out of every retry reason shown (the token), whatever a connector put there. */
  readonly secrets?: readonly string[];
};

/**
 * A live bar on a terminal (cli-progress), plain lines otherwise (logs, CI, pipes): pages,
 * records, requests per second and time spent waiting on the rate limiter, and why the run
 * retries when it does. Plain lines start with the first page, then come every `intervalMs`; a
 * retry gets a line of its own at once.
 */
export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const secrets = (options.secrets ?? []).filter((secret) => secret !== '');
  if (options.quiet) return { update: () => {}, stop: () => {} };
  if (stream.isTTY) return createBar(stream, secrets);
  return createLines(stream, options.intervalMs ?? 2000, secrets);
}

/**
 * One line of figures, each one a user can check against the run:
 * `12 pages · 600 records · 8.9 req/s · 1.2 s of 2.0 s waiting on the limiter` — the requests per
 * second of the last few seconds (within the limit), and the wall-clock time during which
 * at least one task waited for the limiter, out of the run's. The bar shows the pages itself, so
 * it asks for the line without them (`withPages: false`).
 */
export function describeProgress(stats: RunStatsSnapshot, options: { withPages?: boolean } = {}): string {
  const parts = [
    ...(options.withPages === false
      ? []
      : [`${stats.pagesFetched} page${stats.pagesFetched === 1 ? '' : 's'}`]),
    `${stats.records} record${stats.records === 1 ? '' : 's'}`,
    `${stats.requestsPerSecond.toFixed(1)} req/s`,
    ...(stats.learntPerSecond === undefined ? [] : [`rate learnt ${stats.learntPerSecond.toFixed(2)}/s`]),
    `${(stats.limiterWallMs / 1000).toFixed(1)} s of ${(stats.elapsedMs / 1000).toFixed(1)} s waiting on the limiter`,
  ];
  if (stats.retries > 0) parts.push(`${stats.retries} retries`);
  if (stats.pagesSkipped > 0) parts.push(`${stats.pagesSkipped} pages already stored`);
  return parts.join(' · ');
}

/**
 * Why the run is slow: `retrying page 4 in 2.0 s: HTTP 503: Service Unavailable`, with the
 * `secrets` cut out of the reason.
 */
export function describeRetry(retry: RetryNote, secrets: readonly string[] = []): string {
  const what = retry.page === undefined ? `task ${retry.key.slice(0, 12)}` : `page ${retry.page}`;
  let reason = retry.reason;
  for (const secret of secrets) if (secret) reason = reason.split(secret).join('***');
  return `retrying ${what} in ${(retry.delayMs / 1000).toFixed(1)} s: ${reason}`;
}

function createBar(stream: NodeJS.WriteStream, secrets: readonly string[]): Progress {
  const bar = new cliProgress.SingleBar(
    { stream, format: ' {bar} {value}/{total} pages · {details}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (stats) => {
      const done = stats.pagesFetched + stats.pagesSkipped;
      const retry = stats.lastRetry;
      // A retry shows until its delay is over, so the bar says why it does not move.
      const retrying =
        retry && stats.elapsedMs < retry.atMs + retry.delayMs ? ` · ${describeRetry(retry, secrets)}` : '';
      const details = describeProgress(stats, { withPages: false }) + retrying;
      if (!started) {
        bar.start(done + stats.queued, done, { details });
        started = true;
        return;
      }
      bar.setTotal(done + stats.queued);
      bar.update(done, { details });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function createLines(stream: NodeJS.WriteStream, intervalMs: number, secrets: readonly string[]): Progress {
  let lastLineAt: number | undefined;
  let retriesShown = 0;
  return {
    update: (stats) => {
      if (stats.retries > retriesShown && stats.lastRetry) {
        retriesShown = stats.retries;
        stream.write(`capital: ${describeRetry(stats.lastRetry, secrets)}\n`);
      }
      if (stats.pagesFetched === 0) return;
      if (lastLineAt !== undefined && stats.elapsedMs - lastLineAt < intervalMs) return;
      lastLineAt = stats.elapsedMs;
      stream.write(`capital: ${describeProgress(stats)}\n`);
    },
    stop: () => {},
  };
}
