import { firstValueFrom, isObservable } from 'rxjs';
import { describeTask } from '../errors.js';
import type { Handler, Task, TaskResult } from '../task.js';
import { labelTask } from '../task.js';
import type { CompletenessLedger } from './completeness-ledger.js';
import { type Expectation, parseExpectation } from './expectation.js';
import { IncompleteResultError, isIncompleteResultError } from './incomplete-errors.js';

/** Options of {@link checkCompleteness}. */
export type CheckCompletenessOptions<D> = {
  /** The run's ledger: one per run, shared by every page of it. */
  readonly ledger: CompletenessLedger;
  /** The identity of a record: two pages giving the same key is a duplicate. */
  readonly recordKey: (record: D) => string;
  /**
   * Attempts a task gets (retries + 1): a fault on an earlier attempt is thrown, to be retried;
   * on the last one it fails the task, or is tolerated with `allowIncomplete`.
   */
  readonly maxAttempts: number;
  /**
   * Keep a page whose fault survived every retry (its duplicates dropped), note the fault for the
   * run's report, and go on.
   * @default false
   */
  readonly allowIncomplete?: boolean | undefined;
};

/**
 * Wraps a handler so that every page it returns is checked against the rest of the run before the
 * crawl takes it: figures (`expect`) that differ from those its scope's pages stated, or records
 * another page already gave, are an {@link IncompleteResultError} (retryable). A handler may throw
 * one itself for faults only it can see (totals that do not add up), with the page as `result`.
 * After the last attempt the fault fails the task, unless `allowIncomplete` keeps the page (less
 * its duplicates) and notes the fault. The ledger's `report()` then tells the run what is missing.
 *
 * @example
 * const ledger = new CompletenessLedger();
 * seeds$.pipe(crawl(checkCompleteness(handler, { ledger, recordKey: (r) => r.id, maxAttempts: 6 })), …)
 * if (!ledger.report().complete) throw new IncompleteRunError(ledger.report().faults);
 */
export function checkCompleteness<T extends Task, D>(
  handler: Handler<T, D>,
  options: CheckCompletenessOptions<D>,
): Handler<T, D> {
  const { ledger, recordKey, maxAttempts } = options;
  const allowIncomplete = options.allowIncomplete === true;
  return async (task, context) => {
    const lastAttempt = context.attempt >= maxAttempts;
    let result: TaskResult<T, D>;
    const faults: string[] = [];
    try {
      const output = handler(task, context);
      result = await (isObservable(output) ? firstValueFrom(output) : output);
    } catch (error) {
      if (!(isIncompleteResultError(error) && error.result !== undefined && lastAttempt && allowIncomplete)) {
        throw error;
      }
      result = error.result as TaskResult<T, D>;
      faults.push(error.message);
    }
    if (typeof result !== 'object' || result === null || !Array.isArray(result.data)) return result;
    const expect = readExpectation(result);
    const keys = keysOf(result.data, recordKey, context.taskKey);
    const problems = ledger.check(context.taskKey, expect, keys);
    if (problems.length > 0) {
      const label = labelTask(task, context.taskKey);
      if (!(lastAttempt && allowIncomplete)) throw IncompleteResultError.forPage(label, problems, result);
      faults.push(`${describeTask(label)}: ${problems.join('; ')}`);
    }
    const kept = ledger.record(context.taskKey, expect, keys);
    for (const fault of faults) ledger.tolerate(fault);
    if (faults.length > 0) {
      context.logger.warn(`Tolerated (allowIncomplete): ${faults.join('; ')}`);
    }
    return kept.length === result.data.length
      ? result
      : { ...result, data: kept.map((index) => result.data[index] as D) };
  };
}

/**
 * The key of each record. A record without a usable key is the sink's to refuse (with its own
 * error); here it only must not count as a duplicate of another. One `try` for the page, not one
 * a record: a key that throws resumes the loop after it.
 */
function keysOf<D>(data: readonly D[], recordKey: (record: D) => string, pageKey: string): string[] {
  const keys: string[] = [];
  while (keys.length < data.length) {
    try {
      for (let index = keys.length; index < data.length; index += 1) {
        const key = recordKey(data[index] as D);
        keys.push(typeof key === 'string' ? key : unkeyed(pageKey, index));
      }
    } catch {
      keys.push(unkeyed(pageKey, keys.length));
    }
  }
  return keys;
}

function unkeyed(pageKey: string, index: number): string {
  return `\u0000unkeyed:${pageKey}:${index}`;
}

/** An `expect` that is not one is the handler's bug: `callHandler` rejects it, not a retry. */
function readExpectation<T extends Task, D>(result: TaskResult<T, D>): Expectation | undefined {
  if (result.expect === undefined) return undefined;
  const parsed = parseExpectation(result.expect);
  return typeof parsed === 'string' ? undefined : parsed;
}
