import { CrawlFailedError, type CrawlReport, crawlStatus, redactRedisUrl } from '@capital/workers';
import { parseWholeNumber } from '../parse-values.js';
import { describeStatus } from './enqueue-command.js';
import { asUsageError, type QueueFlags, queueConnectionOf } from './queue-flags.js';

/** The flags of `capital status`. */
export type StatusFlags = QueueFlags & {
  readonly window: string;
  readonly lockDuration: string;
  readonly json?: boolean;
};

/** Where `capital status` writes. */
export type StatusIo = { readonly stdout: NodeJS.WriteStream; readonly env: NodeJS.ProcessEnv };

/**
 * `capital status`: the crawl's state (running, stalled, complete or failed), its counts by
 * state, and its pages per second over the last `--window` seconds. On stdout, as two lines, or
 * as JSON with `--json`. Exits 1 when the crawl failed (it is over and tasks failed), naming
 * them; 2 when no such queue exists (a mistyped `--queue` is not an empty crawl).
 *
 * @throws {CrawlFailedError} when the crawl is over with failed tasks; {@link CliUsageError} for
 * bad flags or a queue that does not exist.
 */
export async function statusCommand(flags: StatusFlags, io: StatusIo): Promise<void> {
  const connection = queueConnectionOf(flags, io.env);
  const windowMs = parseWholeNumber('--window', flags.window, 1, 3600) * 1000;
  const lockDurationMs = parseWholeNumber('--lock-duration', flags.lockDuration, 100);
  const status = await asUsageError(() => crawlStatus({ ...connection, windowMs, lockDurationMs }));
  if (flags.json) io.stdout.write(`${JSON.stringify({ queue: connection.queue, ...status })}\n`);
  else {
    io.stdout.write(
      `${connection.queue} at ${redactRedisUrl(connection.redis)}: ${headline(status)}\n` +
        `${describeStatus(status)} (over the last ${windowMs / 1000} s)\n`,
    );
  }
  if (status.state === 'failed') {
    throw new CrawlFailedError(
      connection.queue,
      status.failed,
      status.failures.map((job) => job.reason),
    );
  }
}

function headline(status: CrawlReport): string {
  switch (status.state) {
    case 'failed':
      return `failed: ${status.failed} of ${status.completed + status.failed} tasks failed`;
    case 'stalled':
      // The counts line below says why and what happens next.
      return 'stalled: no task runs';
    default: {
      const { completed, failed, active, waiting, delayed, prioritized, waitingChildren } = status;
      const total = completed + failed + active + waiting + delayed + prioritized + waitingChildren;
      return total === 0 ? `${status.state} (the queue holds no task)` : status.state;
    }
  }
}
