import { CrawlDashboardReader, redactRedisUrl } from '@capital/workers';
import { CliUsageError } from '../cli-error.js';
import { startDashboardServer } from '../dashboard/dashboard-server.js';
import { parseWholeNumber } from '../parse-values.js';
import { asUsageError, type QueueFlags, queueConnectionOf } from './queue-flags.js';

/** The flags of `capital dashboard`. */
export type DashboardFlags = Omit<QueueFlags, 'queue'> & {
  /** The queues to show (repeatable); none: every queue under the prefix. */
  readonly queue?: readonly string[];
  readonly port: string;
  readonly host: string;
};

/** Where `capital dashboard` writes. */
export type DashboardIo = { readonly stderr: NodeJS.WriteStream; readonly env: NodeJS.ProcessEnv };

/**
 * `capital dashboard`: serves a page that shows the crawls on a Redis, live: each queue's
 * states, pages per second overall and per worker, the limiter's use against its limit, 429s,
 * retries, and the failed tasks with their reasons. Runs until SIGINT or SIGTERM.
 * @throws {CliUsageError} for bad flags or an address that cannot be bound.
 */
export async function dashboardCommand(
  flags: DashboardFlags,
  io: DashboardIo,
  signal: AbortSignal,
): Promise<void> {
  const names = flags.queue?.length ? [...flags.queue] : undefined;
  const { queue: _names, ...where } = flags;
  const connection = queueConnectionOf(names ? { ...where, queue: names[0] ?? '' } : where, io.env);
  for (const name of names ?? []) queueConnectionOf({ ...where, queue: name }, io.env); // checks each name
  const port = parseWholeNumber('--port', flags.port, 0, 65_535);
  const reader = asUsageError(() => new CrawlDashboardReader(connection, names));
  let server: Awaited<ReturnType<typeof startDashboardServer>>;
  try {
    server = await startDashboardServer({ read: () => reader.read(), port, host: flags.host });
  } catch (error) {
    await reader.close();
    throw new CliUsageError(
      `Cannot serve the dashboard on ${flags.host}:${port}: ${(error as Error).message}`,
    );
  }
  io.stderr.write(
    `capital: dashboard of ${names ? names.join(', ') : 'every queue'} at ${redactRedisUrl(connection.redis)} on ${server.url}\n`,
  );
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  await reader.close();
}
