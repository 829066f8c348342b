import { CapitalError, describeTask, type TaskLabel } from '../errors.js';
import type { Task, TaskResult } from '../task.js';

/**
 * A page that contradicts itself or the rest of its result: totals that do not add up, a short
 * page before the last, records another page already gave. Retryable — a flaky backend may
 * answer right the next time. `result` keeps the page as it came, so that a run told to
 * tolerate faults (`allowIncomplete`) can store what it got after the last retry.
 */
export class IncompleteResultError extends CapitalError {
  override readonly retryable = true;
  /** The page as the API gave it, when there is one worth keeping. */
  readonly result: TaskResult | undefined;
  constructor(
    message: string,
    options: { result?: TaskResult<Task, unknown> | undefined; cause?: unknown } = {},
  ) {
    super(message, { code: 'INCOMPLETE_RESULT', cause: options.cause });
    this.result = options.result as TaskResult | undefined;
  }
  override name = 'IncompleteResultError' as const;

  /** The error for a page, naming it. */
  static forPage(
    label: TaskLabel,
    problems: readonly string[],
    result?: TaskResult<Task, unknown>,
  ): IncompleteResultError {
    return new IncompleteResultError(`${describeTask(label)}: ${problems.join('; ')}`, { result });
  }
}

/** Tells whether a value is an {@link IncompleteResultError}, also from another copy of this package. */
export function isIncompleteResultError(value: unknown): value is IncompleteResultError {
  return (
    value instanceof IncompleteResultError ||
    (value instanceof Error && value.name === 'IncompleteResultError')
  );
}

/**
 * A run that ended without the data its pages said it must hold, or with records twice. Nothing
 * is finalised (the sink is aborted). `faults` lists each problem.
 */
export class IncompleteRunError extends CapitalError {
  readonly faults: readonly string[];
  /**
   * @param faults each problem, in words.
   * @param consequence what became of the data, for the message.
   */
  constructor(
    faults: readonly string[],
    consequence = 'nothing was finalised (--allow-incomplete keeps what was stored)',
  ) {
    super(`The run is incomplete, so ${consequence}: ${faults.join('; ')}`, { code: 'INCOMPLETE_RUN' });
    this.faults = faults;
  }
  override name = 'IncompleteRunError' as const;
}
