import { join } from 'node:path';
import {
  type Connector,
  createCredentialResolver,
  formatRate,
  isRunDeferred,
  MemoryLimiter,
  type Rate,
  type RateLimiter,
  RedisLimiter,
  type RunInfo,
  type RunningEmulator,
  restrictCredentials,
} from '@capital/core';
import { jobName } from '@capital/sinks';
import { type AutoRate, parseAutoRate } from './auto-rate-flag.js';
import { CliUsageError } from './cli-error.js';
import { readConnectorParams } from './commands/connector-params.js';
import { describeDeferral, describeStillDeferred } from './describe-deferral.js';
import { parseDeferAfterFlag, parseDurationFlag } from './parse-duration.js';
import { parseRateFlag, parseToken, parseUrl, parseWholeNumber, slug } from './parse-values.js';
import { createProgress, describeProgress } from './progress.js';
import { runConnector } from './run-connector.js';
import { describeRun, parseRunChoice, parseSinceFlag, parseWriteFlag } from './run-flags.js';
import { describeSendDelays } from './send-delays.js';
import { settleWithin } from './settle-within.js';
import { describeSinkTarget, openSink, parseSinkFlag } from './sink-from-flags.js';
import { createStderrLogger } from './stderr-logger.js';
import type { MetricsEndpoint } from './telemetry/metrics-endpoint.js';
import { type MetricsFlags, startMetricsFromFlags } from './telemetry/metrics-flags.js';

/** The flags of `capital run`, as commander hands them over (all strings). */
export type RunFlags = MetricsFlags & {
  readonly out?: string;
  readonly sink?: string;
  readonly baseUrl?: string;
  readonly token?: string;
  readonly rate?: string;
  readonly concurrency?: string | undefined;
  readonly buffer?: string;
  readonly retries: string;
  readonly timeout?: string;
  readonly quiet?: boolean;
  readonly redis?: string;
  readonly limiterPrefix?: string;
  readonly maxRetryAfter?: string;
  readonly table?: string;
  readonly sinkRetryBudget?: string;
  readonly write?: string;
  readonly resume?: string;
  readonly fresh?: boolean;
  readonly since?: string;
  readonly lookBack?: string;
  readonly deferAfter?: string;
  readonly [param: string]: string | boolean | undefined;
};

/** Where `capital run` writes its messages. */
export type RunIo = {
  readonly stderr: NodeJS.WriteStream;
  readonly stdout: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
};

/**
 * `capital run NAME`: crawls a connector into a sink. Without `--base-url` it starts the
 * connector's emulator on loopback and says so. Resolves when every page is stored; throws
 * otherwise (the sink is aborted, so no complete-looking output is left).
 */
export async function runCommand(
  connector: Connector,
  flags: RunFlags,
  io: RunIo,
  signal: AbortSignal,
): Promise<void> {
  const params = readConnectorParams(connector, flags);
  const concurrency =
    flags.concurrency === undefined
      ? parseWholeNumber(
          `${connector.name}'s defaultConcurrency`,
          String(connector.defaultConcurrency ?? 4),
          1,
          1024,
        )
      : parseWholeNumber('--concurrency', flags.concurrency, 1, 1024);
  const buffer = flags.buffer === undefined ? undefined : parseWholeNumber('--buffer', flags.buffer, 0);
  const retries = parseWholeNumber('--retries', flags.retries, 0, 100);
  const timeoutMs = flags.timeout === undefined ? undefined : parseWholeNumber('--timeout', flags.timeout, 1);
  const rateText = flags.rate ?? connector.defaultRate;
  const auto = parseAutoRate('--rate', rateText);
  const rate = auto ? auto.rate : parseRateFlag('--rate', rateText);
  const retryAfterCapMs =
    flags.maxRetryAfter === undefined
      ? undefined
      : parseDurationFlag('--max-retry-after', flags.maxRetryAfter, 7 * 24 * 3_600_000);
  const retryBudgetMs =
    flags.sinkRetryBudget === undefined
      ? undefined
      : parseDurationFlag('--sink-retry-budget', flags.sinkRetryBudget);
  const deferAfterMs = parseDeferAfterFlag(flags.deferAfter);
  const runChoice = parseRunChoice(flags.resume, flags.fresh);
  const since = parseSinceFlag(flags.since);
  const lookBackMs =
    flags.lookBack === undefined
      ? undefined
      : parseDurationFlag('--look-back', flags.lookBack, 366 * 24 * 3_600_000);
  const target = parseSinkFlag(flags.sink ?? `file:${flags.out ?? defaultOutPath(connector, params)}`);
  // Without --write, each sink does what it always did: a file is replaced, a table or topic merged.
  const disposition = parseWriteFlag(flags.write ?? (target.kind === 'file' ? 'replace' : 'merge'));
  const token =
    flags.token === undefined
      ? io.env[connector.credential.envVar] || undefined
      : parseToken('--token', flags.token);

  let emulator: RunningEmulator | undefined;
  let baseUrl: string;
  if (flags.baseUrl !== undefined) {
    baseUrl = parseUrl('--base-url', flags.baseUrl);
    if (!token) {
      throw new CliUsageError(`No API token: pass --token or set ${connector.credential.envVar}.`);
    }
  } else {
    if (!connector.startEmulator)
      throw new CliUsageError(`The ${connector.name} connector has no emulator: pass --base-url.`);
    emulator = await connector.startEmulator({ tokens: [token ?? 'demo'] });
    baseUrl = emulator.url;
    io.stderr.write(
      `capital: no --base-url given, so the ${connector.name} emulator runs at ${baseUrl} (pass --base-url to use a real API).\n`,
    );
  }
  // The token goes to the resolver only, never into tasks, keys or messages. Tasks read back
  // from a sink's checkpoint may have been written by others: resolve the connector's reference only.
  const resolveCredential = restrictCredentials(
    createCredentialResolver(io.env, { [connector.credential.envVar]: token ?? 'demo' }),
    [connector.credential.reference],
  );
  const logger = createStderrLogger(io.stderr);
  const redisUrl = flags.redis ?? io.env.REDIS_URL;
  const limiter = rate ? createLimiter(rate, redisUrl, flags.limiterPrefix, logger, auto) : undefined;
  const progress = createProgress({
    stream: io.stderr,
    quiet: flags.quiet === true,
    secrets: token ? [token] : [],
  });
  const shared = rate && redisUrl ? ` shared through Redis at ${redactUrl(redisUrl)}` : '';
  io.stderr.write(
    `capital: ${connector.name} ${describeParams(params)} → ${describeSinkTarget(target)} (concurrency ${concurrency}, rate ${auto ? describeAuto(auto) : rate ? formatRate(rate) : 'off'}${shared})\n`,
  );
  let metrics: MetricsEndpoint | undefined;
  let runId: string | undefined;
  let pagesFetched = 0;
  // The run to resume, when the API deferred it until a time still to come.
  let stillDeferred: RunInfo | undefined;
  try {
    metrics = await startMetricsFromFlags(flags, io.stderr);
    const summary = await runConnector({
      connector,
      params,
      sink: openSink(target, connector, {
        table: flags.table,
        seed: connector.seeds(params)[0],
        retryBudgetMs,
        job: jobName(connector.name, params),
        disposition,
      }),
      run: runChoice,
      since,
      lookBackMs,
      onRunStillDeferred: (run) => {
        stillDeferred = run;
      },
      onRunOpened: (opened, plan) => {
        runId = opened?.run.id;
        io.stderr.write(`capital: ${describeRun(opened, plan)}\n`);
      },
      baseUrl,
      resolveCredential,
      keySecret: io.env.CAPITAL_KEY_SECRET || undefined,
      limiter,
      concurrency,
      buffer,
      retry: { retries, ...(retryAfterCapMs === undefined ? {} : { retryAfterCapMs }) },
      deferAfterMs,
      timeoutMs,
      allowIncomplete: flags.allowIncomplete === true,
      signal,
      logger,
      onEvent: (event, stats) => {
        if (event.type === 'page') pagesFetched += 1;
        progress.update({ ...stats.snapshot(), learntPerSecond: lowestLearntRate(limiter) });
      },
    }).catch((error: unknown) => {
      // Not a failure: the pages fetched are stored, the run stays resumable (exit 75).
      if (isRunDeferred(error)) {
        progress.stop();
        const now = Date.now();
        io.stderr.write(
          `capital: ${stillDeferred ? describeStillDeferred(stillDeferred, error, now) : describeDeferral(error, { runId, pages: pagesFetched, now })}\n`,
        );
      }
      throw error;
    });
    progress.stop();
    const seconds = summary.elapsedMs / 1000;
    io.stderr.write(
      `capital: done in ${seconds.toFixed(1)} s: ${describeProgress(summary)}; ` +
        `${(summary.pagesFetched / Math.max(seconds, 0.001)).toFixed(1)} pages/s.\n`,
    );
    const delays = describeSendDelays(summary.sendDelays);
    if (delays !== undefined) io.stderr.write(`capital: ${delays}.\n`);
    if (!summary.completeness.complete) {
      io.stderr.write(
        `capital: INCOMPLETE (--allow-incomplete): ${summary.completeness.faults.join('; ')}\n`,
      );
    }
    io.stdout.write(`${summary.location}\n`);
  } finally {
    progress.stop();
    // Bounded, so that a Redis that stopped answering cannot keep the error from being printed.
    const warn = (message: string) => logger.warn(message);
    await settleWithin(
      "closing the rate limiter's Redis connection",
      () => limiter?.close(),
      closeTimeoutMs,
      warn,
    );
    await settleWithin('closing the emulator', () => emulator?.close(), closeTimeoutMs, warn);
    await settleWithin('closing the metrics endpoint', () => metrics?.close(), closeTimeoutMs, warn);
  }
}

/** How long each shutdown step may take before the run goes on without it. */
const closeTimeoutMs = 5000;

function createLimiter(
  rate: Rate,
  redisUrl: string | undefined,
  prefix: string | undefined,
  logger: ReturnType<typeof createStderrLogger>,
  auto?: AutoRate,
): RateLimiter {
  // Without Redis, a learnt rate is learnt in this process alone, by the same policy.
  if (redisUrl === undefined || redisUrl === '') {
    return new MemoryLimiter({ rate, ...(auto ? { adaptive: auto.adaptive } : {}) });
  }
  if (!/^rediss?:\/\//.test(redisUrl)) {
    throw new CliUsageError(
      `--redis takes a URL such as redis://127.0.0.1:6379, got "${redactUrl(redisUrl)}".`,
    );
  }
  return new RedisLimiter({
    redis: redisUrl,
    rate,
    logger,
    ...(prefix ? { prefix } : {}),
    ...(auto ? { adaptive: auto.adaptive } : {}),
  });
}

/** The lowest rate the limiter learnt (one key per credential: usually the only one). */
function lowestLearntRate(limiter: RateLimiter | undefined): number | undefined {
  const rates = limiter?.learntRates?.();
  return rates === undefined || rates.size === 0 ? undefined : Math.min(...rates.values());
}

function describeAuto(auto: AutoRate): string {
  const max = auto.adaptive.maxPerSecond;
  return `auto (learnt from the API${max === undefined ? '' : `, at most ${formatRate(auto.rate)}`})`;
}

/** A URL without its password, for messages. */
function redactUrl(url: string): string {
  // Up to the last `@` before the path: a password may hold an unencoded `@`.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1:***@');
}

function describeParams(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([name, value]) => `--${name} ${JSON.stringify(value)}`)
    .join(' ');
}

/** `data/NAME-PARAMS.ndjson`: where a job's file goes without `--out`. */
export function defaultOutPath(connector: Connector, params: Record<string, string>): string {
  const suffix = Object.values(params).map(slug).join('-');
  return join('data', `${connector.name}${suffix ? `-${suffix}` : ''}.ndjson`);
}
