/**
 * What a whole result must hold, as one of its pages states it: World Trading Data's
 * `total_results`, a cursor API's `total_count`. The run checks what it stored against it.
 *
 * Pages that name the same `scope` make up one result: their records are counted together, a
 * record whose key another page of the scope already gave is a duplicate, and every page of the
 * scope must state the same figures. Give the scope a stable name of the chain, such as the
 * task key of its first page; pages without `expect` are only checked for duplicates, run-wide.
 */
export type Expectation = {
  /**
   * The result the figures describe.
   * @default 'run' (every page of the run that states no scope)
   */
  readonly scope?: string | undefined;
  /** Distinct records the whole result holds. */
  readonly records?: number | undefined;
  /** Pages the whole result spans. */
  readonly pages?: number | undefined;
};

/** The scope of pages that name none. */
export const defaultScope = 'run';

/**
 * Reads a handler's `expect` field back, checking it: it came from a handler, so from an API.
 * @returns the expectation, or a problem to report.
 */
export function parseExpectation(value: unknown): Expectation | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return '`expect` is not an object.';
  const { scope, records, pages } = value as Record<string, unknown>;
  if (scope !== undefined && (typeof scope !== 'string' || scope === ''))
    return '`expect.scope` is not a name.';
  // Runs twice a page (the crawl's check of the result, then the completeness check): no
  // temporary arrays or spreads.
  if (!isFigure(records)) return '`expect.records` is not a whole number ≥ 0.';
  if (!isFigure(pages)) return '`expect.pages` is not a whole number ≥ 0.';
  const expectation: { scope?: string; records?: number; pages?: number } = {};
  if (scope !== undefined) expectation.scope = scope as string;
  if (records !== undefined) expectation.records = records as number;
  if (pages !== undefined) expectation.pages = pages as number;
  return expectation;
}

function isFigure(figure: unknown): boolean {
  return figure === undefined || (typeof figure === 'number' && Number.isInteger(figure) && figure >= 0);
}
