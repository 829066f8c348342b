import type { Connector, RunChoice } from '@capital/core';
import { jobName, type OpenedRun } from '@capital/sinks';
import { CliUsageError } from '../cli-error.js';
import { planSeeds, type SeedPlan } from '../plan-seeds.js';
import { describeSinkTarget, openSink, parseSinkFlag } from '../sink-from-flags.js';

/** What `capital enqueue --sink` needs to open the crawl's run. */
export type EnqueueRunOptions = {
  /** `--sink`: PostgreSQL or Kafka, the sink the workers write. */
  readonly sink: string;
  /** `--table`, as the workers are given it. */
  readonly table?: string | undefined;
  readonly choice: RunChoice;
  /** `--since`, over the job's watermark. */
  readonly since?: Date | undefined;
};

/** The run a crawl's jobs carry, and the seeds it asks for. */
export type EnqueueRun = {
  readonly opened: OpenedRun;
  readonly plan: SeedPlan;
  /** The job the run belongs to, as `capital run` and `capital state` name it. */
  readonly job: string;
  /** The sink, as messages show it (no password). */
  readonly where: string;
};

/**
 * Opens the run of the job `capital run` with the same connector and parameters writes, in the
 * sink the workers write: resumes its latest unfinished run, or starts a new one when the last
 * finished (`--fresh` / `--resume RUN` as in `capital run`). Nothing is finished here: the
 * workers finish the run when the crawl's last job completes.
 *
 * @throws {CliUsageError} for a file sink (workers share no file); the sink's errors otherwise.
 */
export async function openEnqueueRun(
  connector: Connector,
  params: Readonly<Record<string, string>>,
  options: EnqueueRunOptions,
): Promise<EnqueueRun> {
  const target = parseSinkFlag(options.sink);
  if (target.kind === 'file') {
    throw new CliUsageError('Workers need a shared sink: --sink postgres://… or kafka://…, not a file.');
  }
  const job = jobName(connector.name, params);
  const sink = openSink(target, connector, { table: options.table, seed: connector.seeds(params)[0], job });
  const runs = sink.runs;
  if (runs === undefined) throw new CliUsageError(`${describeSinkTarget(target)} keeps no runs.`);
  const decide = (resumed: boolean, resumedSince: string | undefined, watermark: string | undefined) =>
    planSeeds(connector, params, {
      disposition: sink.disposition ?? 'merge',
      resumed,
      resumedSince,
      watermark,
      since: options.since,
      lookBackMs: undefined,
    });
  let plan: SeedPlan | undefined;
  try {
    const opened = await runs.open({
      choice: options.choice,
      since: (watermark) => {
        plan = decide(false, undefined, watermark);
        return plan.since;
      },
    });
    if (opened.resumed || plan === undefined) plan = decide(true, opened.run.since, opened.watermark);
    // The run stays open for the workers: closed without finishing it.
    await sink.close({ finishRun: false });
    return { opened, plan, job, where: describeSinkTarget(target) };
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
}
