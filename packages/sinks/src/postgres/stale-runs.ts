import type { PoolClient } from 'pg';

/**
 * Of `runIds`, the runs that are over: not `running`, or with a newer run of their job. Runs in
 * `runsTable` that are still running are locked `FOR SHARE` until the transaction ends, so that
 * finishing one (an `UPDATE` of its row) or superseding it (a new run marks it `interrupted`)
 * waits for the caller's batch, or the batch for it, and then sees it over. Called inside the
 * batch's transaction, before its pages are stored: a worker's job delivered late (a stalled
 * worker, a job run twice) must not add rows to — or, for `merge`, upsert older records over —
 * what a later run stored.
 *
 * @param runsTable - The schema-qualified runs table, quoted.
 */
export async function staleRunsOf(
  client: PoolClient,
  runsTable: string,
  runIds: Iterable<string>,
): Promise<Set<string>> {
  const ids = [...new Set(runIds)].sort();
  if (ids.length === 0) return new Set();
  const found = await client.query<{ run_id: string }>(
    `SELECT r.run_id FROM ${runsTable} r
     WHERE r.run_id = ANY ($1::text[]) AND r.state = 'running'
       AND NOT EXISTS (SELECT 1 FROM ${runsTable} n WHERE n.job = r.job AND n.started_at > r.started_at)
     ORDER BY r.run_id FOR SHARE OF r`,
    [ids],
  );
  const running = new Set(found.rows.map((row) => row.run_id));
  return new Set(ids.filter((runId) => !running.has(runId)));
}
