import { hostname } from 'node:os';
import { type Connector, createCredentialResolver, formatRate } from '@capital/core';
import { redactRedisUrl, startWorker } from '@capital/workers';
import { CliUsageError } from '../cli-error.js';
import { loadConnector } from '../load-connector.js';
import { parseDeferAfterFlag } from '../parse-duration.js';
import { parseRateFlag, parseUrl, parseWholeNumber } from '../parse-values.js';
import { describeSinkTarget, openSink, parseSinkFlag } from '../sink-from-flags.js';
import { createStderrLogger } from '../stderr-logger.js';
import { type MetricsFlags, startMetricsFromFlags } from '../telemetry/metrics-flags.js';
import { workersNeedSharedSink } from './open-enqueue-run.js';
import { asUsageError, type QueueFlags, queueConnectionOf } from './queue-flags.js';

/** The flags of `capital worker`, as commander hands them over. */
export type WorkerFlags = QueueFlags & {
  readonly sink?: string;
  readonly table?: string;
  readonly concurrency: string;
  readonly rate?: string;
  readonly lockDuration: string;
  readonly baseUrl?: string;
  readonly allowBaseUrl?: readonly string[];
  readonly allowCredential?: readonly string[];
  readonly timeout?: string;
  readonly deferAfter?: string;
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
 * Credentials come from this process' environment (`WTD_API_TOKEN`), never from the queue, and
 * only the references a connector declares (or `--allow-credential` names) are resolved. Requests
 * go only to `--base-url`, `--allow-base-url` or the connector's default: a job asking for any
 * other base URL or credential fails at once.
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
    throw new CliUsageError(workersNeedSharedSink);
  }
  const connection = queueConnectionOf(flags, io.env);
  const concurrency = parseWholeNumber('--concurrency', flags.concurrency, 1, 1024);
  const lockDurationMs = parseWholeNumber('--lock-duration', flags.lockDuration, 100, 3_600_000);
  const timeoutMs = flags.timeout === undefined ? undefined : parseWholeNumber('--timeout', flags.timeout, 1);
  const deferAfterMs = parseDeferAfterFlag(flags.deferAfter);
  const rate = flags.rate === undefined ? undefined : (parseRateFlag('--rate', flags.rate) ?? false);
  const baseUrl = flags.baseUrl === undefined ? undefined : parseUrl('--base-url', flags.baseUrl);
  const allowedBaseUrls = (flags.allowBaseUrl ?? []).map((url) => parseUrl('--allow-base-url', url));
  const allowedCredentials = (flags.allowCredential ?? []).map(credentialReference);
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
          // Tasks carry no parameters, so the workers of a connector share one job, and its run:
          // each worker's sink resumes the job's unfinished run, or the first starts one.
          job: `${connector.name} (workers)`,
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
      allowedBaseUrls,
      allowedCredentials,
      keySecret: io.env.CAPITAL_KEY_SECRET || undefined,
      timeoutMs,
      deferAfterMs,
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
      `(concurrency ${concurrency}, rate ${rateText}, lock ${lockDurationMs} ms, ` +
      `sends to ${[baseUrl ?? "each connector's default", ...allowedBaseUrls].join(', ')} only). ` +
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

/** An `--allow-credential` value: an `env:NAME` reference, never a secret itself. */
function credentialReference(reference: string): string {
  if (!/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(reference)) {
    throw new CliUsageError(
      `--allow-credential takes a reference such as env:WTD_API_TOKEN_2 (the variable's name, not its value).`,
    );
  }
  return reference;
}
