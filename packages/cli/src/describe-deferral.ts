import { formatPause, type RunDeferredError } from '@capital/core';

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
  const at = `${new Date(error.resumeAt).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  const left = Math.max(0, error.resumeAt - context.now);
  const run = context.runId === undefined ? 'the run' : `run ${context.runId}`;
  const pages = `${context.pages} page${context.pages === 1 ? '' : 's'}`;
  return (
    `deferred: the API asked to pause for ${formatPause(error.waitMs)}; ${run} stored ${pages} and can resume ` +
    `at ${at} (in ${formatPause(left)}): run the same command again then.`
  );
}
