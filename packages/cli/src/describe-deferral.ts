import { formatPause, type RunDeferredError, type RunInfo } from '@capital/core';

/**
 * The one line `capital run` prints when the API asked for a pause beyond `--defer-after`: when
 * the run can resume, as an absolute UTC time and a duration, and how.
 *
 * @example describeDeferral(error, { runId: '1a2b3c4d', pages: 3, now: Date.now() })
 * // 'deferred: the API asked to pause for 1 h 0 min; run 1a2b3c4d stored 3 pages and can resume at 2026-11-29 17:00:00 UTC (in 1 h 0 min): run the same command again then.'
 */
export function describeDeferral(
  error: RunDeferredError,
  context: { readonly runId: string | undefined; readonly pages: number; readonly now: number },
): string {
  const at = utcTime(error.resumeAt);
  const left = Math.max(0, error.resumeAt - context.now);
  const run = context.runId === undefined ? 'the run' : `run ${context.runId}`;
  const pages = `${context.pages} page${context.pages === 1 ? '' : 's'}`;
  return (
    `deferred: the API asked to pause for ${formatPause(error.waitMs)}; ${run} stored ${pages} and can resume ` +
    `at ${at} (in ${formatPause(left)}): run the same command again then.`
  );
}

/**
 * The one line `capital run` prints when the run it would resume was deferred by the API and
 * its time has not come: nothing was asked of the API, and `--fresh` is the way past it.
 *
 * @example describeStillDeferred(run, error, Date.now())
 * // 'deferred: run 1a2b3c4d was deferred by the API and can resume at 2026-11-29 17:00:00 UTC (in 42 min 5 s): nothing was sent; run the same command again then, or pass --fresh for a new run.'
 */
export function describeStillDeferred(run: RunInfo, error: RunDeferredError, now: number): string {
  const left = Math.max(0, error.resumeAt - now);
  return (
    `deferred: run ${run.id} was deferred by the API and can resume at ${utcTime(error.resumeAt)} ` +
    `(in ${formatPause(left)}): nothing was sent; run the same command again then, or pass --fresh for a new run.`
  );
}

/** `2026-11-29 17:00:00 UTC`. */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
