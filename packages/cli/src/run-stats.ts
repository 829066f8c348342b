import type { CrawlEvent } from '@capital/core';
import { type SendDelaySummary, SendDelays } from './send-delays.js';

/** The last retry of a run, for a progress line that says why the run is slow. */
export type RetryNote = {
  /** The task's page, when it has one. */
  readonly page: number | undefined;
  readonly key: string;
  /** 1 for the first retry of the task. */
  readonly retry: number;
  readonly delayMs: number;
  /** The first line of the error's message (connectors keep credentials out of it). */
  readonly reason: string;
  /** When it was decided, on the run's clock (as `elapsedMs`). */
  readonly atMs: number;
};

/** A run's figures at one moment. */
export type RunStatsSnapshot = {
  readonly pagesFetched: number;
  readonly pagesSkipped: number;
  readonly records: number;
  /** HTTP requests made: every attempt, retries included. */
  readonly requests: number;
  /**
   * Requests per second over the last `rateWindowMs`: the requests after the first one of the
   * window, over the time since that first one (at least a second). Under a limit of N per
   * second it reads at most N (give or take the spread of response times, as requests are timed
   * when they end), whereas requests over elapsed time reads above N at the start of a run; and
   * it falls when requests stop (a `Retry-After` pause).
   */
  readonly requestsPerSecond: number;
  readonly retries: number;
  /** Pages known but not done yet: waiting in the frontier or in flight. */
  readonly queued: number;
  /** Summed over tasks: time spent waiting for the rate limiter (exceeds the run when tasks wait together). */
  readonly limiterWaitMs: number;
  /** Wall-clock time during which at least one task waited for the rate limiter. */
  readonly limiterWallMs: number;
  readonly elapsedMs: number;
  /** The latest retry, if any. */
  readonly lastRetry: RetryNote | undefined;
  /** With `--rate auto`: the rate learnt from the API, permits per second. */
  readonly learntPerSecond?: number | undefined;
  /** Delays from each permit's grant to its request's first byte. */
  readonly sendDelays: SendDelaySummary;
};

/** Options of {@link RunStats}. */
export type RunStatsOptions = {
  /**
   * The span over which `requestsPerSecond` is measured, in ms.
   * @default 5000
   */
  readonly rateWindowMs?: number;
};

/** Counts what a crawl reports, for progress lines and the final summary. */
export class RunStats {
  readonly #startedAt: number;
  readonly #now: () => number;
  readonly #rateWindowMs: number;
  #pagesFetched = 0;
  #pagesSkipped = 0;
  #records = 0;
  #requests = 0;
  #retries = 0;
  #waiting = 0;
  #started = 0;
  #limiterWaitMs = 0;
  /** The union of the limiter waits so far, up to `#limiterWaitEnd` (which may lie ahead). */
  #limiterWallMs = 0;
  #limiterWaitEnd = Number.NEGATIVE_INFINITY;
  /** When the requests of the rate window ended, oldest first. */
  #requestTimes: number[] = [];
  #lastRetry: RetryNote | undefined;
  readonly #sendDelays = new SendDelays();

  constructor(now: () => number = () => performance.now(), options: RunStatsOptions = {}) {
    this.#now = now;
    this.#startedAt = now();
    this.#rateWindowMs = options.rateWindowMs ?? 5000;
  }

  record(event: CrawlEvent): void {
    const at = this.#now();
    switch (event.type) {
      case 'page':
        this.#pagesFetched += 1;
        this.#records += event.records;
        this.#requests += event.attempts;
        this.#waiting = event.queued;
        // Earlier attempts of the page were counted by their retry events.
        this.#requestEnded(at);
        break;
      case 'task-started':
        this.#started += 1;
        // A task leaves the frontier when it starts.
        this.#waiting = Math.max(0, this.#waiting - 1);
        break;
      case 'page-skipped':
        this.#pagesSkipped += 1;
        break;
      case 'retry':
        this.#retries += 1;
        this.#requestEnded(at);
        this.#lastRetry = {
          page: event.page,
          key: event.key,
          retry: event.retry,
          delayMs: event.delayMs,
          reason: firstLine(event.error.message),
          atMs: at - this.#startedAt,
        };
        break;
      case 'limiter-wait': {
        this.#limiterWaitMs += event.waitMs;
        // Waits arrive in time order: each adds what it reaches beyond the union so far.
        const end = at + event.waitMs;
        if (end > this.#limiterWaitEnd) {
          this.#limiterWallMs += end - Math.max(at, this.#limiterWaitEnd);
          this.#limiterWaitEnd = end;
        }
        break;
      }
      case 'request-sent':
        this.#sendDelays.sent(event.delayMs);
        break;
      case 'permit-spent':
        this.#sendDelays.spent();
        break;
      default:
        break;
    }
  }

  snapshot(): RunStatsSnapshot {
    const now = this.#now();
    return {
      pagesFetched: this.#pagesFetched,
      pagesSkipped: this.#pagesSkipped,
      records: this.#records,
      requests: this.#requests,
      requestsPerSecond: this.#requestsPerSecond(now),
      retries: this.#retries,
      queued: this.#waiting + this.#started - this.#pagesFetched - this.#pagesSkipped,
      limiterWaitMs: this.#limiterWaitMs,
      // Only what has passed: a wait that runs on is counted up to now.
      limiterWallMs: this.#limiterWallMs - Math.max(0, this.#limiterWaitEnd - now),
      elapsedMs: now - this.#startedAt,
      lastRetry: this.#lastRetry,
      sendDelays: this.#sendDelays.summary(),
    };
  }

  #requestEnded(at: number): void {
    this.#requestTimes.push(at);
    this.#forgetBefore(at - this.#rateWindowMs);
  }

  #forgetBefore(time: number): void {
    let drop = 0;
    while (drop < this.#requestTimes.length && (this.#requestTimes[drop] ?? 0) <= time) drop += 1;
    if (drop > 0) this.#requestTimes.splice(0, drop);
  }

  #requestsPerSecond(now: number): number {
    this.#forgetBefore(now - this.#rateWindowMs);
    const first = this.#requestTimes[0];
    if (first === undefined) return 0;
    // n requests spaced at least 1/N s apart span at least (n − 1)/N s, so (n − 1) over the time
    // since the first stays within N; a burst within the first second is counted over a second.
    return ((this.#requestTimes.length - 1) * 1000) / Math.max(now - first, 1000);
  }
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
