/** How many times one good page — one (search term, limit, page) — was served. */
export type PageServed = {
  /** The `search_term` as the client sent it (decoded, not trimmed). */
  readonly searchTerm: string;
  /** The effective page size, after clamping to `maxLimit`. */
  readonly limit: number;
  /** The page number, 1-based. */
  readonly page: number;
  /** How many times this page was answered 200 with a well-formed body. */
  readonly served: number;
};

/**
 * What the emulator has answered since it started or since `resetStats()`. Requests to the
 * stats endpoint itself are not counted, so reading the stats does not change them.
 */
export type EmulatorStats = {
  /** Requests received, whatever the answer. */
  readonly requests: number;
  /** Answers by HTTP status, e.g. `{ 200: 12, 429: 1, 502: 2 }`. */
  readonly byStatus: Readonly<Record<number, number>>;
  /** 200 answers whose body was deliberately broken (`malformedRate`). */
  readonly malformed: number;
  /**
   * Every good page served, sorted by search term, limit and page: a crawl that fetched each
   * page exactly once shows `served: 1` everywhere. Pages past the last one (empty `data`)
   * count too.
   */
  readonly pages: readonly PageServed[];
};

/**
 * Counts what the emulator answers. Not part of the public API: the server exposes its
 * snapshots through `stats()` and `GET /__emulator/stats`.
 */
export class StatsRecorder {
  #requests = 0;
  #byStatus = new Map<number, number>();
  #malformed = 0;
  // Keyed by JSON.stringify([term, limit, page]): unambiguous whatever characters the term holds.
  #pages = new Map<string, PageServed>();

  /** Counts one answer with `status`; `malformed` when its body was broken on purpose. */
  recordAnswer(status: number, malformed = false): void {
    this.#requests += 1;
    this.#byStatus.set(status, (this.#byStatus.get(status) ?? 0) + 1);
    if (malformed) this.#malformed += 1;
  }

  /** Counts one good page served for (`searchTerm`, `limit`, `page`). */
  recordPage(searchTerm: string, limit: number, page: number): void {
    const key = JSON.stringify([searchTerm, limit, page]);
    const served = (this.#pages.get(key)?.served ?? 0) + 1;
    this.#pages.set(key, { searchTerm, limit, page, served });
  }

  /** A copy of the counts, safe to keep and to serialise. */
  snapshot(): EmulatorStats {
    const pages = [...this.#pages.values()].sort(
      (a, b) => compare(a.searchTerm, b.searchTerm) || a.limit - b.limit || a.page - b.page,
    );
    return {
      requests: this.#requests,
      byStatus: Object.fromEntries([...this.#byStatus].sort(([a], [b]) => a - b)),
      malformed: this.#malformed,
      pages,
    };
  }

  /** Sets every count back to zero. */
  reset(): void {
    this.#requests = 0;
    this.#byStatus.clear();
    this.#malformed = 0;
    this.#pages.clear();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
