import {
  type Connector,
  type CredentialResolver,
  checkDeferAfter,
  createCredentialResolver,
  defaultDeferAfterMs,
  InvalidOptionError,
  type Logger,
  parseRate,
  type Rate,
  redactingLogger,
  silentLogger,
  type Task,
} from '@capital/core';
import type { Sink } from '@capital/sinks';
import type { BaseUrlPolicy } from './choose-base-url.js';
import type { CrawlBackoffOptions } from './crawl-backoff.js';
import { isPlainHttpUrl } from './crawl-job.js';
import {
  type QueueConnection,
  type QueueConnectionOptions,
  resolveQueueConnection,
} from './queue-connection.js';

/** Options of `startWorker`, besides where the queue is ({@link QueueConnectionOptions}). */
export type StartWorkerOptions = QueueConnectionOptions & {
  /**
   * Where pages go: one sink for every connector, or a function that opens one per connector
   * (called once for each connector the worker meets, with the first of its tasks, e.g. to key
   * records by the connector's `recordKey` and name a table after the task's `type`).
   * Use an idempotent sink (PostgreSQL upserts by record key): a page replayed after a crash is
   * written twice. The worker closes the sinks when it closes.
   */
  readonly sink: Sink | ((connector: Connector, firstTask: Task) => Sink);
  /** Finds a connector by the name a job carries, e.g. the CLI's `loadConnector({ name })`. */
  readonly loadConnector: (name: string) => Promise<Connector>;
  /**
   * Jobs this process runs at once.
   * @default 4
   */
  readonly concurrency?: number | undefined;
  /**
   * How long a job's lock lasts, in ms. The worker renews it every half of this while the job
   * runs, so a slow page keeps its lock; it runs out only when the process stops renewing it
   * (killed, crashed, or its event loop blocked that long). Then, within `stalledIntervalMs`,
   * another worker takes the job again. Keep it above the request timeout plus the longest
   * limiter wait (concurrency × processes ÷ rate): then even a worker whose renewals are late
   * under load never has a page taken away mid-fetch, which would fetch it twice (harmless with
   * an idempotent sink, but wasted). Shorter means faster recovery from crashes (tests use 2 s).
   * @default 30_000
   */
  readonly lockDurationMs?: number | undefined;
  /**
   * How often this worker looks for jobs whose lock ran out (of any worker), in ms.
   * @default lockDurationMs
   */
  readonly stalledIntervalMs?: number | undefined;
  /**
   * How many times a job may be recovered from a stall before it fails ("stalled more than
   * allowable limit"). Above BullMQ's 1, so that two crashes in one crawl do not fail a page,
   * yet a page that crashes every worker that runs it stops.
   * @default 3
   */
  readonly maxStalledCount?: number | undefined;
  /**
   * The rate limit shared, through Redis, by every process on a connector's limiter key (a
   * `capital run --redis` process too), as `9/1s`; `false` for none.
   * @default each connector's `defaultRate`
   */
  readonly rate?: string | Rate | false | undefined;
  /**
   * Namespace of the limiter keys in Redis.
   * @default 'capital:limit:' (that of `capital run --redis`)
   */
  readonly limiterPrefix?: string | undefined;
  /**
   * The API's base URL for jobs that carry none; jobs that carry it are accepted too. A job
   * that carries a base URL that is neither this, one of `allowedBaseUrls`, nor its connector's
   * `defaultBaseUrl` is refused (`BaseUrlRefusedError`, failed at once): a job on the queue must
   * never choose where a worker sends its credential.
   * @default the connector's default
   */
  readonly baseUrl?: string | undefined;
  /**
   * More base URLs that jobs may carry (see `baseUrl`).
   * @default []
   */
  readonly allowedBaseUrls?: readonly string[] | undefined;
  /**
   * Credential references resolved for any connector, besides the one each connector declares
   * (`connector.credential.reference`). A task naming any other is refused
   * (`CredentialRefusedError`, failed at once) before anything is read or sent.
   * @default []
   */
  readonly allowedCredentials?: readonly string[] | undefined;
  /**
   * The deployment's secret for limiter keys: keys are an HMAC of each credential under it.
   * Every process sharing a limit (workers, `capital run --redis`) must have the same one.
   * @default process.env.CAPITAL_KEY_SECRET, else a slow hash without a secret
   */
  readonly keySecret?: string | undefined;
  /**
   * Per request, in ms.
   * @default the connector's
   */
  readonly timeoutMs?: number | undefined;
  /**
   * The delays between attempts (`attempts` is the job's, set by the enqueuer).
   * @default { factor: 2, minTimeoutMs: 200, maxTimeoutMs: 30_000, randomize: true, maxRetryAfterMs: 300_000 }
   */
  readonly backoff?: CrawlBackoffOptions | undefined;
  /**
   * The longest pause the API may ask for that a job waits out, in ms. A longer one (a 429 with
   * `Retry-After: 3600`, or the shared limiter's pause another worker set) delays the job until
   * the pause ends, without spending an attempt; the key stays paused for every worker.
   * `Infinity` never defers.
   * @default 300_000 (5 minutes)
   */
  readonly deferAfterMs?: number | undefined;
  /**
   * An opt-in guard: the longest chain of next tasks from a seed; a job whose next tasks would
   * go deeper fails. None by default, as in `crawl`: a long cursor chain is not an error.
   * @default Infinity
   */
  readonly maxDepth?: number | undefined;
  /**
   * Resolves the credential references tasks carry.
   * @default createCredentialResolver(process.env)
   */
  readonly resolveCredential?: CredentialResolver | undefined;
  /**
   * Told of retries, failures and connection trouble; handed to handlers.
   * @default silentLogger
   */
  readonly logger?: Logger | undefined;
};

/** {@link StartWorkerOptions} checked, with defaults filled in. */
export type StartWorkerConfig = {
  readonly connection: QueueConnection;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  /** `undefined`: each connector's default rate. */
  readonly rate: Rate | false | undefined;
  readonly limiterPrefix: string;
  readonly baseUrls: BaseUrlPolicy;
  readonly allowedCredentials: readonly string[];
  readonly keySecret: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly backoff: CrawlBackoffOptions;
  readonly deferAfterMs: number;
  readonly maxDepth: number;
  readonly resolveCredential: CredentialResolver;
  readonly logger: Logger;
};

/**
 * Checks the options once, where they enter, and fills in defaults.
 * @throws {InvalidOptionError} for a value out of range (see {@link StartWorkerOptions}).
 */
export function resolveStartWorkerOptions(options: StartWorkerOptions): StartWorkerConfig {
  const concurrency = options.concurrency ?? 4;
  const lockDurationMs = options.lockDurationMs ?? 30_000;
  const stalledIntervalMs = options.stalledIntervalMs ?? lockDurationMs;
  const maxStalledCount = options.maxStalledCount ?? 3;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  wholeNumber('concurrency', concurrency, 1);
  wholeNumber('lockDurationMs', lockDurationMs, 100);
  wholeNumber('stalledIntervalMs', stalledIntervalMs, 100);
  wholeNumber('maxStalledCount', maxStalledCount, 0);
  if (maxDepth !== Number.POSITIVE_INFINITY) wholeNumber('maxDepth', maxDepth, 0);
  const allowed = [
    ...(options.baseUrl === undefined ? [] : [options.baseUrl]),
    ...(options.allowedBaseUrls ?? []),
  ];
  for (const url of allowed) {
    if (!isPlainHttpUrl(url)) {
      throw new InvalidOptionError(
        'baseUrl',
        `takes http(s) URLs without credentials, got "${url.slice(0, 200)}".`,
      );
    }
  }
  const allowedCredentials = options.allowedCredentials ?? [];
  for (const reference of allowedCredentials) {
    if (typeof reference !== 'string' || reference === '') {
      throw new InvalidOptionError('allowedCredentials', 'takes references such as env:NAME.');
    }
  }
  return {
    connection: resolveQueueConnection(options),
    concurrency,
    lockDurationMs,
    stalledIntervalMs,
    maxStalledCount,
    rate: typeof options.rate === 'string' ? parseRate(options.rate) : options.rate,
    limiterPrefix: options.limiterPrefix ?? 'capital:limit:',
    baseUrls: { default: options.baseUrl, allowed },
    allowedCredentials,
    keySecret: options.keySecret ?? (process.env.CAPITAL_KEY_SECRET || undefined),
    timeoutMs: options.timeoutMs,
    backoff: options.backoff ?? {},
    deferAfterMs: checkDeferAfter(options.deferAfterMs ?? defaultDeferAfterMs),
    maxDepth,
    resolveCredential: options.resolveCredential ?? createCredentialResolver(process.env),
    // Handlers and the worker log through it: no secret the resolver handed out gets out.
    logger: redactingLogger(options.logger ?? silentLogger),
  };
}

function wholeNumber(option: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, `must be a whole number ≥ ${min}, got ${value}.`);
  }
}
