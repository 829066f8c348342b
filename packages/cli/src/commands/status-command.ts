import { crawlStatus, redactRedisUrl } from '@capital/workers';
import { parseWholeNumber } from '../parse-values.js';
import { describeStatus } from './enqueue-command.js';
import { asUsageError, type QueueFlags, queueConnectionOf } from './queue-flags.js';

/** The flags of `capital status`. */
export type StatusFlags = QueueFlags & { readonly window: string; readonly json?: boolean };

/** Where `capital status` writes. */
export type StatusIo = { readonly stdout: NodeJS.WriteStream; readonly env: NodeJS.ProcessEnv };

/**
 * `capital status`: the crawl's counts by state, its pages per second over the last
 * `--window` seconds, and whether it is complete (nothing waiting, delayed or active). On stdout,
 * as one line, or as JSON with `--json`.
 */
export async function statusCommand(flags: StatusFlags, io: StatusIo): Promise<void> {
  const connection = queueConnectionOf(flags, io.env);
  const windowMs = parseWholeNumber('--window', flags.window, 1, 3600) * 1000;
  const status = await asUsageError(() => crawlStatus({ ...connection, windowMs }));
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ queue: connection.queue, ...status })}\n`);
    return;
  }
  io.stdout.write(
    `${connection.queue} at ${redactRedisUrl(connection.redis)}: ${status.complete ? 'complete' : 'running'}\n` +
      `${describeStatus(status)} (over the last ${windowMs / 1000} s)\n`,
  );
}
