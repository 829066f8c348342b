import type { TaskResult } from '../task.js';

/**
 * A made-up paged API for tests: a tree of sub-sources, each paginated, where some pages fan out
 * into the first page of other sub-sources, and several pages may name the same sub-source (so
 * the crawl sees duplicate next tasks). Knows every record it holds, to compare a crawl against.
 */

/** One page of one sub-source. */
export type SyntheticTask = { readonly type: 'synthetic'; readonly source: number; readonly page: number };

/** The shape of a synthetic source, as a property test generates it. */
export type SyntheticSourceSpec = {
  /** The sub-sources; 0 is the root that the crawl is seeded with. */
  readonly sources: readonly { readonly records: number; readonly pageSize: number }[];
  /**
   * Which pages start which sub-sources: page `page` of `parent` returns the first page of
   * `child` among its next tasks. `parent` and `page` are taken modulo what exists, and a
   * parent is always an earlier source than its child, so links never form a cycle. Every
   * sub-source but the root needs at least one link to be reached.
   */
  readonly links: readonly { readonly child: number; readonly parent: number; readonly page: number }[];
};

/** A source built from a {@link SyntheticSourceSpec}; records are named `source:index`. */
export class SyntheticSource {
  readonly #sources: SyntheticSourceSpec['sources'];
  readonly #children = new Map<string, number[]>();

  constructor(spec: SyntheticSourceSpec) {
    if (spec.sources.length === 0) throw new RangeError('A synthetic source needs at least its root.');
    this.#sources = spec.sources;
    for (const link of spec.links) {
      if (!(link.child >= 1 && link.child < spec.sources.length)) continue;
      const parent = link.parent % link.child;
      const at = `${parent}:${link.page % this.pageCount(parent)}`;
      this.#children.set(at, [...(this.#children.get(at) ?? []), link.child]);
    }
  }

  /** The first page of sub-source `source` (the root by default). */
  seed(source = 0): SyntheticTask {
    return { type: 'synthetic', source, page: 0 };
  }

  /** How many pages sub-source `source` has: at least one, even when it holds no records. */
  pageCount(source: number): number {
    const spec = this.#sources[source];
    if (spec === undefined) throw new RangeError(`No synthetic source ${source}.`);
    return Math.max(1, Math.ceil(spec.records / spec.pageSize));
  }

  /** What the API answers for `task`. */
  page(task: SyntheticTask): TaskResult<SyntheticTask, string> {
    const spec = this.#sources[task.source];
    if (spec === undefined || task.page >= this.pageCount(task.source)) {
      throw new RangeError(`No synthetic page ${task.source}:${task.page}.`);
    }
    const first = task.page * spec.pageSize;
    const last = Math.min(spec.records, first + spec.pageSize);
    const data = Array.from({ length: Math.max(0, last - first) }, (_, i) => `${task.source}:${first + i}`);
    const nextPage = task.page + 1 < this.pageCount(task.source) ? [{ ...task, page: task.page + 1 }] : [];
    const fanOut = (this.#children.get(`${task.source}:${task.page}`) ?? []).map((child) => this.seed(child));
    return { task, data, nextTasks: [...nextPage, ...fanOut] };
  }

  /** Every record the source holds, sorted: what a complete crawl must yield, each once. */
  records(): string[] {
    const reached = this.#reachable();
    return this.#sources
      .flatMap((spec, source) =>
        reached.has(source) ? Array.from({ length: spec.records }, (_, i) => `${source}:${i}`) : [],
      )
      .sort();
  }

  /** How many distinct pages a complete crawl fetches. */
  pageTotal(): number {
    return [...this.#reachable()].reduce((total, source) => total + this.pageCount(source), 0);
  }

  #reachable(): Set<number> {
    const reached = new Set([0]);
    // Children always come after their parents, so one pass in order is enough.
    for (let source = 0; source < this.#sources.length; source += 1) {
      if (!reached.has(source)) continue;
      for (let page = 0; page < this.pageCount(source); page += 1) {
        for (const child of this.#children.get(`${source}:${page}`) ?? []) reached.add(child);
      }
    }
    return reached;
  }
}

/** A linear chain of `pages` pages of `pageSize` records each: the simplest paged source. */
export function chainSpec(pages: number, pageSize = 1): SyntheticSourceSpec {
  return { sources: [{ records: pages * pageSize, pageSize }], links: [] };
}

/**
 * A small, seeded pseudo-random generator (mulberry32): the same numbers in `[0, 1)` for the same
 * seed on every machine, so generated data and injected failures are reproducible.
 *
 * @example seededRandom(1)() // 0.6270739405881613
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
