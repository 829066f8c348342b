import { CapitalError } from '@capital/core';

/**
 * A job whose data is not a crawl job (`{ connector, task, depth, baseUrl? }`): added by hand,
 * or by another program sharing the queue. Retrying cannot fix it, so the job fails at once.
 */
export class InvalidCrawlJobError extends CapitalError {
  readonly jobId: string | undefined;
  constructor(jobId: string | undefined, problem: string) {
    super(`Job ${jobId ?? '(without an id)'} is not a crawl job: ${problem}`, { code: 'INVALID_CRAWL_JOB' });
    this.jobId = jobId;
  }
  override name = 'InvalidCrawlJobError' as const;
}

/** The worker cannot load the connector a job names (not installed where the worker runs). */
export class ConnectorUnavailableError extends CapitalError {
  readonly connector: string;
  constructor(connector: string, options: { cause?: unknown } = {}) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : '.';
    super(`This worker cannot load the connector "${connector}"${reason}`, {
      code: 'CONNECTOR_UNAVAILABLE',
      cause: options.cause,
    });
    this.connector = connector;
  }
  override name = 'ConnectorUnavailableError' as const;
}

/** Redis did not accept a connection within the bounded wait. */
export class QueueUnavailableError extends CapitalError {
  override readonly retryable = true;
  readonly queue: string;
  constructor(queue: string, message: string, options: { cause?: unknown } = {}) {
    super(`Queue ${queue} is unavailable: ${message}`, { code: 'QUEUE_UNAVAILABLE', cause: options.cause });
    this.queue = queue;
  }
  override name = 'QueueUnavailableError' as const;
}

/** A crawl ended with tasks in the failed set; `failed` holds their reasons. */
export class CrawlFailedError extends CapitalError {
  readonly queue: string;
  readonly failed: readonly string[];
  constructor(queue: string, failedCount: number, reasons: readonly string[]) {
    const listed = reasons.map((reason) => `\n  ${reason}`).join('');
    const more = failedCount > reasons.length ? `\n  … and ${failedCount - reasons.length} more` : '';
    super(
      `${failedCount} task${failedCount === 1 ? '' : 's'} failed on queue ${queue}:${listed}${more}\n` +
        '(`capital failed` lists them, `capital retry` runs them again)',
      { code: 'CRAWL_FAILED' },
    );
    this.queue = queue;
    this.failed = reasons;
  }
  override name = 'CrawlFailedError' as const;
}

/**
 * No queue of that name exists under that prefix: no task was ever enqueued there. Most often a
 * mistyped `--queue` or `--prefix`; reading it would report an empty queue as a finished crawl.
 */
export class QueueNotFoundError extends CapitalError {
  readonly queue: string;
  readonly prefix: string;
  constructor(queue: string, prefix: string, where: string) {
    super(
      `no queue named "${queue}" under prefix "${prefix}" at ${where}: check --queue and --prefix ` +
        '(`capital enqueue` creates a queue).',
      { code: 'QUEUE_NOT_FOUND' },
    );
    this.queue = queue;
    this.prefix = prefix;
  }
  override name = 'QueueNotFoundError' as const;
}

/**
 * A job asked the worker to send its requests — and so its credential — to a base URL the
 * worker was not started with. Anyone who can write to the queue's Redis can add such a job, so
 * the worker refuses it, and the job fails at once.
 */
export class BaseUrlRefusedError extends CapitalError {
  /** The base URL refused, as the job gave it (at most 200 characters). */
  readonly baseUrl: string;
  constructor(baseUrl: string, allowed: readonly string[]) {
    const shown = JSON.stringify(baseUrl.slice(0, 200));
    const list = allowed.length > 0 ? allowed.join(', ') : "the connector's default";
    super(
      `Refused the base URL ${shown}: this worker sends requests only to ${list} ` +
        '(a worker allows more with `--allow-base-url`).',
      { code: 'BASE_URL_REFUSED' },
    );
    this.baseUrl = baseUrl.slice(0, 200);
  }
  override name = 'BaseUrlRefusedError' as const;
}
