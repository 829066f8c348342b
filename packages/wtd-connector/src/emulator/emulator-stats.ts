import type { EmulatorServerStats } from '@capital/core/testing';

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
  /**
   * The most requests of one token inside any rolling second, as the API counts them (when
   * they arrive): over the rate limit means the client sent more than the API allows.
   */
  readonly maxPerSecond: number;
};

/**
 * The kit's stats in this emulator's shape: its pages are the kit's served keys, which the
 * stock search route writes as `JSON.stringify([searchTerm, limit, page])`.
 *
 * @param stats - A snapshot of the kit's stats.
 * @returns The emulator's stats.
 * @example toEmulatorStats(server.stats()).pages // [{ searchTerm: 'new york', limit: 50, page: 1, served: 1 }]
 */
export function toEmulatorStats(stats: EmulatorServerStats): EmulatorStats {
  const pages = Object.entries(stats.served)
    .map(([key, served]): PageServed => {
      const [searchTerm, limit, page] = JSON.parse(key) as [string, number, number];
      return { searchTerm, limit, page, served };
    })
    .sort((a, b) => compare(a.searchTerm, b.searchTerm) || a.limit - b.limit || a.page - b.page);
  return {
    requests: stats.requests,
    byStatus: stats.byStatus,
    malformed: stats.malformed,
    pages,
    maxPerSecond: Math.max(0, ...Object.values(stats.maxPerSecond)),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
