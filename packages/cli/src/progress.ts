import cliProgress from 'cli-progress';
import type { RunStatsSnapshot } from './run-stats.js';

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
};

/**
 * A live bar on a terminal (cli-progress), plain lines otherwise (logs, CI, pipes): pages,
 * records, requests per second and time spent waiting on the rate limiter.
 */
export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => {}, stop: () => {} };
  if (stream.isTTY) return createBar(stream);
  return createLines(stream, options.intervalMs ?? 2000);
}

/**
 * One line of figures: `12 pages · 600 records · 8.9 req/s · 1.2 s waiting on the limiter`. The
 * bar shows the pages itself, so it asks for the line without them (`withPages: false`).
 */
export function describeProgress(stats: RunStatsSnapshot, options: { withPages?: boolean } = {}): string {
  const seconds = Math.max(stats.elapsedMs / 1000, 0.001);
  const parts = [
    ...(options.withPages === false
      ? []
      : [`${stats.pagesFetched} page${stats.pagesFetched === 1 ? '' : 's'}`]),
    `${stats.records} record${stats.records === 1 ? '' : 's'}`,
    `${(stats.requests / seconds).toFixed(1)} req/s`,
    `${(stats.limiterWaitMs / 1000).toFixed(1)} s waiting on the limiter`,
  ];
  if (stats.retries > 0) parts.push(`${stats.retries} retries`);
  if (stats.pagesSkipped > 0) parts.push(`${stats.pagesSkipped} pages already stored`);
  return parts.join(' · ');
}

function createBar(stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    { stream, format: ' {bar} {value}/{total} pages · {details}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (stats) => {
      const done = stats.pagesFetched + stats.pagesSkipped;
      const details = describeProgress(stats, { withPages: false });
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

function createLines(stream: NodeJS.WriteStream, intervalMs: number): Progress {
  let lastLineAt = 0;
  return {
    update: (stats) => {
      if (stats.pagesFetched === 0 || stats.elapsedMs - lastLineAt < intervalMs) return;
      lastLineAt = stats.elapsedMs;
      stream.write(`capital: ${describeProgress(stats)}\n`);
    },
    stop: () => {},
  };
}
