import { hostname } from 'node:os';
import { type Connector, createCredentialResolver, formatRate } from '@capital/core';
import { redactRedisUrl, startWorker } from '@capital/workers';
import { CliUsageError } from '../cli-error.js';
import { loadConnector } from '../load-connector.js';
import { parseRateFlag, parseUrl, parseWholeNumber } from '../parse-values.js';
import { describeSinkTarget, openSink, parseSinkFlag } from '../sink-from-flags.js';
import { createStderrLogger } from '../stderr-logger.js';
import { type MetricsFlags, startMetricsFromFlags } from '../telemetry/metrics-flags.js';
import { asUsageError, type QueueFlags, queueConnectionOf } from './queue-flags.js';

/** The flags of `capital worker`, as commander hands them over. */
export type WorkerFlags = QueueFlags & {
  readonly sink?: string;
  readonly table?: string;
  readonly concurrency: string;
  readonly rate?: string;
  readonly lockDuration: string;
  readonly baseUrl?: string;
  readonly timeout?: string;
  readonly limiterPrefix?: string;
  readonly connector?: readonly string[];
};

/** Where `capital worker` reads and writes. */
export type WorkerIo = {
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
};

/**
 * `capital worker`: takes the crawl's jobs until SIGINT or SIGTERM, then finishes the pages in
 * flight (fetched, stored, followed), takes no new one, closes the sinks and returns (exit 0).
 * A worker killed outright loses nothing: its jobs are taken again once their locks run out.
 * Credentials come from this process' environment (`WTD_API_TOKEN`), never from the queue.
 */
export async function workerCommand(
  flags: WorkerFlags & MetricsFlags,
  io: WorkerIo,
  signal: AbortSignal,
): Promise<void> {
  if (flags.sink === undefined)
    throw new CliUsageError('--sink is required, e.g. --sink postgres://host/db.');
  const target = parseSinkFlag(flags.sink);
  if (target.kind === 'file') {
    // A file is renamed into place by one process at the end of its run: workers share no such end.
    throw new CliUsageError('Workers need a shared sink: --sink postgres://… or kafka://…, not a file.');
  }
  const connection = queueConnectionOf(flags, io.env);
  const concurrency = parseWholeNumber('--concurrency', flags.concurrency, 1, 1024);
  const lockDurationMs = parseWholeNumber('--lock-duration', flags.lockDuration, 100, 3_600_000);
  const timeoutMs = flags.timeout === undefined ? undefined : parseWholeNumber('--timeout', flags.timeout, 1);
  const rate = flags.rate === undefined ? undefined : (parseRateFlag('--rate', flags.rate) ?? false);
  const baseUrl = flags.baseUrl === undefined ? undefined : parseUrl('--base-url', flags.baseUrl);
  // Connectors from modules (`--connector PATH`), known by the names their jobs carry.
  const fromPaths = new Map<string, Connector>();
  for (const path of flags.connector ?? []) {
    const connector = await loadConnector({ path }, io.cwd);
    fromPaths.set(connector.name, connector);
  }
  const logger = createStderrLogger(io.stderr);
  if (signal.aborted) return;
  const metrics = await startMetricsFromFlags(flags, io.stderr);
  const worker = await asUsageError(() =>
    startWorker({
      ...connection,
      sink: (connector, firstTask) =>
        openSink(target, connector, {
          table: flags.table,
          seed: firstTask,
          instance: `${hostname()}-${process.pid}`,
        }),
      loadConnector: async (name) => {
        const connector = fromPaths.get(name) ?? (await loadConnector({ name }, io.cwd));
        // Tasks name the variable, never the secret: without it every task of the connector fails.
        const variable = connector.credential.envVar;
        if (!io.env[variable]) logger.warn(`${variable} is not set: this worker cannot run ${name} tasks`);
        return connector;
      },
      concurrency,
      lockDurationMs,
      rate,
      limiterPrefix: flags.limiterPrefix,
      baseUrl,
      timeoutMs,
      resolveCredential: createCredentialResolver(io.env),
      logger,
    }),
  ).catch(async (error: unknown) => {
    await metrics?.close();
    throw error;
  });
  const rateText = rate === undefined ? "each connector's own" : rate === false ? 'off' : formatRate(rate);
  io.stderr.write(
    `capital: worker on queue ${connection.queue} at ${redactRedisUrl(connection.redis)} → ${describeSinkTarget(target)} ` +
      `(concurrency ${concurrency}, rate ${rateText}, lock ${lockDurationMs} ms). ` +
      'SIGINT or SIGTERM finishes the pages in flight, then stops.\n',
  );
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stderr.write('capital: stopping: finishing the pages in flight, taking no new ones…\n');
  const stats = await worker.close().finally(() => metrics?.close());
  io.stderr.write(
    `capital: worker stopped: ${stats.pages} pages, ${stats.records} records stored ` +
      `(${stats.retries} retries, ${stats.failed} failed for good).\n`,
  );
}
