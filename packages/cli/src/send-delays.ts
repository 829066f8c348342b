/** Grant-to-send delays at a glance: percentiles and the maximum, in ms. */
export type SendDelaySummary = {
  /** Requests whose delay was measured (sent through the permit dispatcher). */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Permits spent unused because they were too old when their request was about to go. */
  readonly spentPermits: number;
};

/**
 * A histogram of grant-to-send delays in 1 ms buckets up to 1 s (a delay beyond counts in the
 * last), so that a long run keeps a fixed memory. Percentiles read as their bucket's upper edge:
 * never below the delay they stand for.
 */
export class SendDelays {
  readonly #buckets = new Uint32Array(1001);
  #count = 0;
  #max = 0;
  #spent = 0;

  /** One request sent `delayMs` after its grant. */
  sent(delayMs: number): void {
    const ms = Math.max(0, delayMs);
    this.#buckets[Math.min(1000, Math.ceil(ms))] = (this.#buckets[Math.min(1000, Math.ceil(ms))] ?? 0) + 1;
    this.#count += 1;
    this.#max = Math.max(this.#max, ms);
  }

  /** One permit spent because it was too old. */
  spent(): void {
    this.#spent += 1;
  }

  summary(): SendDelaySummary {
    return {
      requests: this.#count,
      p50Ms: this.#percentile(0.5),
      p90Ms: this.#percentile(0.9),
      p99Ms: this.#percentile(0.99),
      maxMs: this.#max,
      spentPermits: this.#spent,
    };
  }

  #percentile(share: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(share * this.#count);
    let seen = 0;
    for (let ms = 0; ms < this.#buckets.length; ms += 1) {
      seen += this.#buckets[ms] ?? 0;
      if (seen >= rank) return Math.min(ms, this.#max);
    }
    return this.#max;
  }
}

/**
 * `grant-to-send p50 1 ms · p90 2 ms · p99 5 ms · max 9 ms (120 requests, 1 late permit spent)`,
 * or `undefined` when no delay was measured (no limiter, or a connector that does not send
 * through the permit dispatcher).
 */
export function describeSendDelays(summary: SendDelaySummary): string | undefined {
  if (summary.requests === 0) return undefined;
  const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
  const spent =
    summary.spentPermits === 0
      ? ''
      : `, ${summary.spentPermits} late permit${summary.spentPermits === 1 ? '' : 's'} spent`;
  return (
    `grant-to-send p50 ${ms(summary.p50Ms)} · p90 ${ms(summary.p90Ms)} · p99 ${ms(summary.p99Ms)} · ` +
    `max ${ms(summary.maxMs)} (${summary.requests} request${summary.requests === 1 ? '' : 's'}${spent})`
  );
}
