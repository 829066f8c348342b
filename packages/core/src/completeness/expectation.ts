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
  for (const [name, figure] of [
    ['records', records],
    ['pages', pages],
  ] as const) {
    if (figure !== undefined && (typeof figure !== 'number' || !Number.isInteger(figure) || figure < 0)) {
      return `\`expect.${name}\` is not a whole number ≥ 0.`;
    }
  }
  return {
    ...(scope === undefined ? {} : { scope: scope as string }),
    ...(records === undefined ? {} : { records: records as number }),
    ...(pages === undefined ? {} : { pages: pages as number }),
  };
}
