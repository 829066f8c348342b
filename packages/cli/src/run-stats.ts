import type { CrawlEvent } from '@capital/core';

/** A run's figures at one moment. */
export type RunStatsSnapshot = {
  readonly pagesFetched: number;
  readonly pagesSkipped: number;
  readonly records: number;
  /** HTTP requests made: every attempt, retries included. */
  readonly requests: number;
  readonly retries: number;
  /** Pages known but not done yet: waiting in the frontier or in flight. */
  readonly queued: number;
  /** Summed over tasks: time spent waiting for the rate limiter. */
  readonly limiterWaitMs: number;
  readonly elapsedMs: number;
};

/** Counts what a crawl reports, for progress lines and the final summary. */
export class RunStats {
  readonly #startedAt: number;
  readonly #now: () => number;
  #pagesFetched = 0;
  #pagesSkipped = 0;
  #records = 0;
  #requests = 0;
  #retries = 0;
  #waiting = 0;
  #started = 0;
  #limiterWaitMs = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#startedAt = now();
  }

  record(event: CrawlEvent): void {
    switch (event.type) {
      case 'page':
        this.#pagesFetched += 1;
        this.#records += event.records;
        this.#requests += event.attempts;
        this.#waiting = event.queued;
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
        break;
      case 'limiter-wait':
        this.#limiterWaitMs += event.waitMs;
        break;
      default:
        break;
    }
  }

  snapshot(): RunStatsSnapshot {
    return {
      pagesFetched: this.#pagesFetched,
      pagesSkipped: this.#pagesSkipped,
      records: this.#records,
      requests: this.#requests,
      retries: this.#retries,
      queued: this.#waiting + this.#started - this.#pagesFetched - this.#pagesSkipped,
      limiterWaitMs: this.#limiterWaitMs,
      elapsedMs: this.#now() - this.#startedAt,
    };
  }
}
