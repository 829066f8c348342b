import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Checkpoint } from '../checkpoint.js';
import { isSeenKeysStore, type SeenKeysStore } from '../dedupe/seen-keys-store.js';
import { InvalidOptionError } from '../errors.js';
import type { LimiterKey } from '../limit/limiter-layers.js';
import type { RateLimiter } from '../limit/rate-limiter.js';
import { type Logger, silentLogger } from '../logger.js';
import { redactingLogger } from '../redact/redacting-logger.js';
import { checkDeferAfter, defaultDeferAfterMs } from '../retry/defer-decision.js';
import { type RetryOptions, type RetryPolicy, resolveRetryPolicy } from '../retry/retry-policy.js';
import type { Task, TaskResult } from '../task.js';
import type { CrawlEvent } from './crawl-event.js';

/** Options of `crawl`. */
export type CrawlOptions<T extends Task> = {
  /**
   * Tasks run at once.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Pages that may wait for the consumer's `ack()` beyond those being fetched. At any moment at
   * most `concurrency + buffer` pages are fetched (or being fetched) and not yet acknowledged.
   * @default 8
   */
  readonly buffer?: number;
  /**
   * Records that may wait for the consumer's `ack()`: no task starts while the pages fetched and
   * not yet acknowledged hold this many or more. With a large `buffer` it bounds memory by
   * records rather than pages, so small pages can run far ahead (a sink that groups writes
   * commits more of them at once) while large ones cannot. A page arrives whole, so the bound
   * may be passed by the pages in flight when it was reached.
   * @default Infinity
   */
  readonly bufferRecords?: number;
  /**
   * Bytes that may wait for the consumer's `ack()`: no task starts while the pages fetched and
   * not yet acknowledged hold this many or more, each page's size estimated by walking up to 4 of
   * its records (string lengths, a word a value; nothing is serialised). Pages under ~90 KB
   * still run `buffer` pages ahead; larger ones fewer: a page that waits is promoted to V8's old
   * space, where dead pages pile up to several times the live ones before a mark-compact (each
   * 1 MB page waiting cost ~2 MB of peak RSS). A page arrives whole, so the bound may be passed
   * by the pages in flight when it was reached. `Infinity` estimates nothing.
   * @default 1 MiB (1,048,576)
   */
  readonly bufferBytes?: number;
  /**
   * The longest chain of next tasks from a seed; deeper fails with `MaxDepthExceededError`. An
   * opt-in guard: a cursor chain may be as long as the source is, and cycles are caught without it.
   * @default Infinity
   */
  readonly maxDepth?: number;
  /**
   * How the crawl remembers the tasks it has seen, to run each once and to tell a cycle from a
   * duplicate. See {@link CrawlDedupe}.
   * @default 'memory'
   */
  readonly dedupe?: CrawlDedupe;
  /**
   * How transient failures are retried; `false` fails a task at its first error.
   * @default { retries: 5, factor: 2, minTimeoutMs: 200, maxTimeoutMs: 30_000, randomize: true }
   */
  readonly retry?: RetryOptions | false;
  /**
   * The longest pause the crawl waits out, in ms. When the API asks for a longer one (a 429's
   * `Retry-After: 3600`, a daily quota spent), or a shared limiter's pause would hold a permit
   * that long, the crawl stops starting tasks, lets the pages already emitted be acknowledged,
   * and ends with `RunDeferredError` (its `resumeAt` says when to resume). `Infinity` never defers.
   * @default 300_000 (5 minutes)
   */
  readonly deferAfterMs?: number;
  /** Gates every attempt (retries too) on a permit. No limiter, no limit. */
  readonly limiter?: RateLimiter;
  /**
   * The limiter key of a task, or its layers (an account's key and an endpoint's, each with its
   * rate): a permit is taken from every layer at once, and a 429 pauses the layer the error
   * names in `limiterLayer`, else the first.
   * @default 'default'
   */
  readonly limiterKey?: LimiterKey | ((task: T) => LimiterKey);
  /**
   * The longest delay from a permit's grant to its request's first byte, in ms, for handlers
   * that send through `permitDispatcher(context.permit)`: a permit older than that is spent and
   * a new one taken, so that the API, counting requests as they arrive, sees the limiter's rate.
   * @default half the interval between permits of the task's fastest rate, at least 5 ms (55 ms at `9/1s`)
   */
  readonly maxSendDelayMs?: number;
  /** A durable store of finished pages: tasks it knows are skipped, their recorded next tasks run. */
  readonly checkpoint?: Checkpoint<T>;
  /**
   * Time for retry delays, limiter waits and `fetchedAt`. A `TestScheduler` for marble tests.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Handed to handlers in their context.
   * @default silentLogger
   */
  readonly logger?: Logger;
  /** Ends the crawl with the signal's reason when aborted (unsubscribing does the same, silently). */
  readonly signal?: AbortSignal;
  /**
   * Told of everything that happens, for progress reports and metrics. When it throws, the
   * crawl ends with that error.
   */
  readonly onEvent?: (event: CrawlEvent) => void;
  /**
   * The retry jitter's source of randomness.
   * @default Math.random
   */
  readonly random?: () => number;
};

/**
 * How much of the crawl's past it remembers.
 *
 * - `'memory'`: every task key, as a 16-byte digest with its parent's number (~32 bytes a task,
 *   in flat typed arrays). Each task runs once per crawl; a next task equal to an ancestor fails
 *   with `TaskCycleError`, however long the cycle.
 * - `{ maxKeys }`: at least the last `maxKeys / 2` and at most the last `maxKeys` keys, so memory
 *   stays bounded (~32 bytes × `maxKeys`) on crawls of any size. A task seen longer ago than that
 *   runs again (its page is emitted again: write to an idempotent sink). Cycles are still caught:
 *   a cycle within the window at once, a longer one by Brent's algorithm along its chain, before
 *   the chain has fetched four times its length (so a loop's pages may be fetched a few times).
 * - a {@link SeenKeysStore} (`RedisSeenKeys`): every task key, in the store; the process keeps
 *   only the last {@link storeWindowKeys} keys (~2 MB). Each task runs once per store, even
 *   across processes sharing it. A next task equal to an ancestor within that window fails with
 *   `TaskCycleError`; a longer cycle is dropped as a duplicate where it closes (its pages are
 *   fetched once, the crawl ends without error). Costs a round trip per batch of up to 256
 *   tasks drawn, so a cursor chain (one next task a page) pays one a page.
 */
export type CrawlDedupe = 'memory' | { readonly maxKeys: number } | SeenKeysStore;

/** The default of {@link CrawlOptions.bufferBytes}. */
export const defaultBufferBytes = 1024 * 1024;

/** Keys a crawl with a store keeps in memory to catch a cycle at once. */
export const storeWindowKeys = 65_536;

/** {@link CrawlOptions} checked, with defaults filled in. */
export type CrawlConfig<T extends Task> = {
  readonly concurrency: number;
  readonly buffer: number;
  readonly bufferRecords: number;
  readonly bufferBytes: number;
  readonly maxDepth: number;
  /** The most task keys remembered (`Infinity` for all). */
  readonly maxKeys: number;
  /** Where tasks are claimed before they run, when de-duplication is delegated. */
  readonly store: SeenKeysStore | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly deferAfterMs: number;
  readonly limiter: RateLimiter | undefined;
  readonly limiterKey: (task: T) => LimiterKey;
  readonly maxSendDelayMs: number | undefined;
  readonly checkpoint: Checkpoint<T> | undefined;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: (event: CrawlEvent) => void;
  readonly random: () => number;
};

/** A page as the crawl emits it: the TaskResult, where it stands, and its acknowledgement. */
export type CrawlPage<T extends Task = Task, D = unknown> = TaskResult<T, D> & {
  /** The task's key. */
  readonly key: string;
  /** 0 for a seed, 1 for its next tasks, … */
  readonly depth: number;
  /** How many attempts the page took (1 without retries). */
  readonly attempts: number;
  /** When the page arrived, in ms since the epoch (the scheduler's clock). */
  readonly fetchedAt: number;
  /**
   * `true` on the page the crawl knows, as it emits it, to be its last: it led to no task that
   * is not a duplicate, and no other task runs, waits (a retry, a permit) or is left to draw.
   * A sink may finish its run in this page's transaction. Absent on every other page, and on
   * all of them when the crawl learns it is over only later (it ended on a checkpointed page,
   * lazy next tasks that turned out empty, or claims a shared de-duplication store refused).
   */
  readonly last?: true | undefined;
  /**
   * Tells the crawl the consumer is done with the page (it is written, durable, forgotten), which
   * frees its place in the `concurrency + buffer` bound. Idempotent. A consumer that never
   * acknowledges stalls the crawl once the bound is full: use `ackAfter`, `toAsyncIterable` or a
   * sink, which acknowledge for you.
   */
  ack(): void;
};

/** Checks the options once, where they enter, and fills in defaults. */
export function resolveCrawlConfig<T extends Task>(options: CrawlOptions<T>): CrawlConfig<T> {
  const concurrency = options.concurrency ?? 4;
  const buffer = options.buffer ?? 8;
  const bufferRecords = options.bufferRecords ?? Infinity;
  const bufferBytes = options.bufferBytes ?? defaultBufferBytes;
  const maxDepth = options.maxDepth ?? Infinity;
  const dedupe = options.dedupe ?? 'memory';
  const store = isSeenKeysStore(dedupe) ? dedupe : undefined;
  const maxKeys: unknown =
    dedupe === 'memory'
      ? Infinity
      : store
        ? storeWindowKeys
        : (dedupe as { maxKeys?: unknown } | null)?.maxKeys;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidOptionError('concurrency', `must be a whole number ≥ 1, got ${concurrency}.`);
  }
  if (!Number.isInteger(buffer) || buffer < 0) {
    throw new InvalidOptionError('buffer', `must be a whole number ≥ 0, got ${buffer}.`);
  }
  if ((!Number.isInteger(bufferRecords) && bufferRecords !== Infinity) || bufferRecords < 1) {
    throw new InvalidOptionError('bufferRecords', `must be a whole number ≥ 1, got ${bufferRecords}.`);
  }
  if (!(bufferBytes >= 1)) {
    throw new InvalidOptionError('bufferBytes', `must be a number ≥ 1, got ${bufferBytes}.`);
  }
  if ((!Number.isInteger(maxDepth) && maxDepth !== Infinity) || maxDepth < 0) {
    throw new InvalidOptionError('maxDepth', `must be a whole number ≥ 0, got ${maxDepth}.`);
  }
  if (maxKeys !== Infinity && (typeof maxKeys !== 'number' || !Number.isInteger(maxKeys) || maxKeys < 1)) {
    throw new InvalidOptionError('dedupe', `maxKeys must be a whole number ≥ 1, got ${String(maxKeys)}.`);
  }
  const key = options.limiterKey ?? 'default';
  return {
    concurrency,
    buffer,
    bufferRecords,
    bufferBytes,
    maxDepth,
    maxKeys: maxKeys as number,
    store,
    retry: options.retry === false ? undefined : resolveRetryPolicy(options.retry),
    deferAfterMs: checkDeferAfter(options.deferAfterMs ?? defaultDeferAfterMs),
    limiter: options.limiter,
    limiterKey: typeof key === 'function' ? key : () => key,
    maxSendDelayMs: checkSendDelay(options.maxSendDelayMs),
    checkpoint: options.checkpoint,
    scheduler: options.scheduler ?? asyncScheduler,
    // Handlers log through it: no secret the resolver handed out reaches the user's logger.
    logger: redactingLogger(options.logger ?? silentLogger),
    signal: options.signal,
    onEvent: options.onEvent ?? (() => {}),
    random: options.random ?? Math.random,
  };
}

function checkSendDelay(ms: number | undefined): number | undefined {
  if (ms !== undefined && !(ms >= 0)) {
    throw new InvalidOptionError('maxSendDelayMs', `must be a number of ms ≥ 0, got ${ms}.`);
  }
  return ms;
}
