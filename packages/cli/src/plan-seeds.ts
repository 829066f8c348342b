import type { Connector, Task, WriteDisposition } from '@capital/core';

/** How a run asks for its records: all of them, or those changed since a point in time. */
export type SeedPlan<T extends Task = Task> = {
  readonly seeds: T[];
  /** The point in time the seeds ask from (ISO 8601); `undefined` for a full refresh. */
  readonly since: string | undefined;
  /** Why the run is a full refresh or where its `since` came from, for the opening line. */
  readonly reason: string;
};

/** What decides a run's seeds. */
export type SeedPlanInput = {
  readonly disposition: WriteDisposition;
  /** The `since` a resumed run was started with (it asks from the same, or its pages differ). */
  readonly resumedSince: string | undefined;
  /** `true` when resuming: then `resumedSince` alone decides. */
  readonly resumed: boolean;
  /** The job's watermark: the start of its latest finished run. */
  readonly watermark: string | undefined;
  /** `--since`, over the watermark. */
  readonly since: Date | undefined;
  /** `--look-back` in ms, over the connector's. */
  readonly lookBackMs: number | undefined;
};

/**
 * Decides whether a run is incremental, and from when. Only `merge` runs are: a `replace` run's
 * result must be complete, and an `append` run would store the look-back's records twice. A
 * resumed run asks from what it first asked from, so that its page checkpoints still match.
 */
export function planSeeds<T extends Task>(
  connector: Connector<T, unknown>,
  params: Readonly<Record<string, string>>,
  input: SeedPlanInput,
): SeedPlan<T> {
  const incremental = connector.incremental;
  const full = (reason: string): SeedPlan<T> => ({
    seeds: connector.seeds(params),
    since: undefined,
    reason,
  });
  if (incremental === undefined) return full(`full refresh: ${connector.name} has no cursor field`);
  if (input.disposition !== 'merge')
    return full(`full refresh: --write ${input.disposition} needs every record`);
  let since: string | undefined;
  let reason: string;
  if (input.resumed) {
    since = input.resumedSince;
    reason =
      since === undefined
        ? 'full refresh, as the run began'
        : `${incremental.cursorField} since ${since}, as the run began`;
  } else if (input.since !== undefined) {
    since = input.since.toISOString();
    reason = `${incremental.cursorField} since ${since} (--since)`;
  } else if (input.watermark !== undefined) {
    const lookBackMs = input.lookBackMs ?? incremental.lookBackMs ?? 0;
    since = new Date(Date.parse(input.watermark) - lookBackMs).toISOString();
    reason = `${incremental.cursorField} since ${since} (watermark ${input.watermark} less a look-back of ${lookBackMs} ms)`;
  } else {
    reason = `full refresh: no finished run yet to take a watermark from`;
  }
  return {
    seeds: since === undefined ? connector.seeds(params) : incremental.seedsSince(params, new Date(since)),
    since,
    reason,
  };
}
