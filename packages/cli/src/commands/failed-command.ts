import { listFailedJobs, retryFailedJobs } from '@capital/workers';
import { parseWholeNumber } from '../parse-values.js';
import { asUsageError, type QueueFlags, queueConnectionOf } from './queue-flags.js';

/** The flags of `capital failed`. */
export type FailedFlags = QueueFlags & { readonly limit: string; readonly json?: boolean };

/** Where `capital failed` and `capital retry` write. */
export type FailedIo = {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
};

/**
 * `capital failed`: the crawl's failed tasks, the most recent first, one per line on stdout:
 * job id (the task key), connector, attempts, reason. `--json` prints one JSON object per line.
 */
export async function failedCommand(flags: FailedFlags, io: FailedIo): Promise<void> {
  const connection = queueConnectionOf(flags, io.env);
  const limit = parseWholeNumber('--limit', flags.limit, 1, 100_000);
  const failed = await asUsageError(() => listFailedJobs({ ...connection, limit }));
  if (failed.length === 0) io.stderr.write(`capital: no failed tasks on queue ${connection.queue}.\n`);
  for (const job of failed) {
    io.stdout.write(
      flags.json
        ? `${JSON.stringify(job)}\n`
        : `${job.id.slice(0, 12)}  ${job.connector}  ${job.attempts} attempt${job.attempts === 1 ? '' : 's'}  ${job.reason}\n`,
    );
  }
}

/**
 * `capital retry`: moves the crawl's failed tasks back to waiting, where workers run them again
 * with a fresh count of attempts.
 */
export async function retryCommand(flags: QueueFlags, io: FailedIo): Promise<void> {
  const connection = queueConnectionOf(flags, io.env);
  const moved = await asUsageError(() => retryFailedJobs(connection));
  io.stderr.write(
    `capital: ${moved} failed task${moved === 1 ? '' : 's'} moved back to waiting on queue ${connection.queue}.\n`,
  );
}
