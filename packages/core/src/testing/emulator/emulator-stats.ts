/**
 * What an emulator has seen since it started or since `resetStats()`. Requests to the stats
 * endpoint are not counted, so reading the stats does not change them.
 */
export type EmulatorServerStats = {
  /** Requests answered (or reset on purpose), whatever the answer. */
  readonly requests: number;
  /** Answers by HTTP status, e.g. `{ 200: 12, 429: 1, 502: 2 }`. */
  readonly byStatus: Readonly<Record<number, number>>;
  /** Answers by route name; requests that matched no route are under `(none)`. */
  readonly byRoute: Readonly<Record<string, number>>;
  /** 429 answers by what refused: a layer's name, `concurrency` or `burst` (injected). */
  readonly limited: Readonly<Record<string, number>>;
  /** 2xx answers whose body was broken on purpose. */
  readonly malformed: number;
  /** Connections reset on purpose, without an answer. */
  readonly resets: number;
  /** Requests being handled right now (arrived, not yet answered). */
  readonly inFlight: number;
  /** The most requests ever handled at once. */
  readonly maxInFlight: number;
  /** Records served in good answers, as the routes counted them. */
  readonly records: number;
  /** Good answers per served key (see `Served.key`), sorted by key. */
  readonly served: Readonly<Record<string, number>>;
  /**
   * Per token, the arrival time (the emulator's clock, ms) of every request that passed the token
   * check, admitted or not, in order: what the API counts. See {@link maxInRollingWindow}.
   */
  readonly arrivals: Readonly<Record<string, readonly number[]>>;
  /**
   * Per token, the most requests that passed the token check inside any rolling second (`t` to
   * `t + 1000 ms`, as {@link maxInRollingWindow} counts), kept even when `arrivals` are not: what
   * an API counting requests as they arrive saw at its busiest.
   */
  readonly maxPerSecond: Readonly<Record<string, number>>;
};

/**
 * Counts what an emulator sees. The server exposes snapshots through `stats()` and its stats
 * endpoint; connectors rarely need it directly.
 */
export class StatsRecorder {
  #requests = 0;
  #byStatus = new Map<number, number>();
  #byRoute = new Map<string, number>();
  #limited = new Map<string, number>();
  #malformed = 0;
  #resets = 0;
  #inFlight = 0;
  #maxInFlight = 0;
  #records = 0;
  #served = new Map<string, number>();
  #arrivals = new Map<string, number[]>();
  /** Per token, its arrivals of the last second, oldest first, and the most seen in one. */
  #lastSecond = new Map<string, number[]>();
  #maxPerSecond = new Map<string, number>();
  readonly #recordArrivals: boolean;

  /** @param recordArrivals - Whether to keep arrival times (they grow with every request). */
  constructor(recordArrivals = true) {
    this.#recordArrivals = recordArrivals;
  }

  /** A request arrived; pair with {@link StatsRecorder.finished}. */
  started(): void {
    this.#inFlight += 1;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
  }

  /** A request left, answered or not. */
  finished(): void {
    this.#inFlight -= 1;
  }

  /** A request by `principal` passed the token check at `nowMs`. */
  arrived(principal: string, nowMs: number): void {
    const recent = this.#lastSecond.get(principal) ?? [];
    if (recent.length === 0) this.#lastSecond.set(principal, recent);
    recent.push(nowMs);
    let drop = 0;
    while ((recent[drop] ?? nowMs) + 1000 <= nowMs) drop += 1;
    if (drop > 0) recent.splice(0, drop);
    this.#maxPerSecond.set(principal, Math.max(this.#maxPerSecond.get(principal) ?? 0, recent.length));
    if (!this.#recordArrivals) return;
    const times = this.#arrivals.get(principal);
    if (times === undefined) this.#arrivals.set(principal, [nowMs]);
    else times.push(nowMs);
  }

  /** Counts one answer. */
  answered(answer: {
    readonly status: number | 'reset';
    readonly route: string;
    readonly limited?: string | undefined;
    readonly malformed?: boolean;
    readonly served?: { readonly key?: string; readonly records?: number } | undefined;
  }): void {
    this.#requests += 1;
    increment(this.#byRoute, answer.route);
    if (answer.status === 'reset') this.#resets += 1;
    else increment(this.#byStatus, answer.status);
    if (answer.limited !== undefined) increment(this.#limited, answer.limited);
    if (answer.malformed === true) this.#malformed += 1;
    if (answer.served !== undefined) {
      this.#records += answer.served.records ?? 0;
      if (answer.served.key !== undefined) increment(this.#served, answer.served.key);
    }
  }

  /** A copy of the counts, safe to keep and to serialise. */
  snapshot(): EmulatorServerStats {
    return {
      requests: this.#requests,
      byStatus: Object.fromEntries([...this.#byStatus].sort(([a], [b]) => a - b)),
      byRoute: Object.fromEntries(this.#byRoute),
      limited: Object.fromEntries(this.#limited),
      malformed: this.#malformed,
      resets: this.#resets,
      inFlight: this.#inFlight,
      maxInFlight: this.#maxInFlight,
      records: this.#records,
      served: Object.fromEntries([...this.#served].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      arrivals: Object.fromEntries([...this.#arrivals].map(([key, times]) => [key, [...times]])),
      maxPerSecond: Object.fromEntries(this.#maxPerSecond),
    };
  }

  /** Sets every count back to zero; requests in flight stay in flight. */
  reset(): void {
    this.#requests = 0;
    this.#byStatus.clear();
    this.#byRoute.clear();
    this.#limited.clear();
    this.#malformed = 0;
    this.#resets = 0;
    this.#maxInFlight = this.#inFlight;
    this.#records = 0;
    this.#served.clear();
    this.#arrivals.clear();
    this.#lastSecond.clear();
    this.#maxPerSecond.clear();
  }
}

/**
 * The most requests inside any rolling window of `windowMs`, as an API counting arrivals sees
 * them: a window starting at each arrival holds the arrivals at `t` with `start <= t < start + windowMs`.
 *
 * @param arrivals - Arrival times in milliseconds, in order.
 * @param windowMs - The window's length.
 * @returns The largest count; 0 for no arrivals.
 * @example maxInRollingWindow([0, 100, 999, 1000], 1000) // 3
 */
export function maxInRollingWindow(arrivals: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < arrivals.length; last += 1) {
    while ((arrivals[first] ?? 0) + windowMs <= (arrivals[last] ?? 0)) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
