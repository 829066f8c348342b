import type { Connector, RunChoice, WriteDisposition } from '@capital/core';
import { jobName, type OpenedRun } from '@capital/sinks';
import { CliUsageError } from '../cli-error.js';
import { planSeeds, type SeedPlan } from '../plan-seeds.js';
import { describeSinkTarget, openSink, parseSinkFlag } from '../sink-from-flags.js';

/**
 * Why workers refuse a file sink, whatever `--write`: a file is written by one process and renamed
 * into place at the end of its run, so each worker would write a file of its own pages.
 */
export const workersNeedSharedSink =
  'Workers need a shared sink: --sink postgres://… or kafka://…, not a file (a file is written by one process and renamed into place when its run ends: each worker would write its own).';

/** What `capital enqueue --sink` needs to open the crawl's run. */
export type EnqueueRunOptions = {
  /** `--sink`: PostgreSQL or Kafka, the sink the workers write. */
  readonly sink: string;
  /** `--table`, as the workers are given it. */
  readonly table?: string | undefined;
  readonly choice: RunChoice;
  /** `--since`, over the job's watermark. */
  readonly since?: Date | undefined;
  /** `--write`: kept with the run, which every worker reads it from. @default 'merge' */
  readonly disposition?: WriteDisposition | undefined;
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
 * The run keeps the disposition (`--write`): each worker stores a page as the page's run says.
 *
 * @throws {CliUsageError} for a file sink (workers share no file), and for `--write append` or
 * `replace` to Kafka (see {@link refuseKafkaDisposition}); the sink's errors otherwise.
 */
export async function openEnqueueRun(
  connector: Connector,
  params: Readonly<Record<string, string>>,
  options: EnqueueRunOptions,
): Promise<EnqueueRun> {
  const target = parseSinkFlag(options.sink);
  if (target.kind === 'file') {
    throw new CliUsageError(workersNeedSharedSink);
  }
  const disposition = options.disposition ?? 'merge';
  if (target.kind === 'kafka') refuseKafkaDisposition(disposition);
  const job = jobName(connector.name, params);
  const sink = openSink(target, connector, {
    table: options.table,
    seed: connector.seeds(params)[0],
    job,
    disposition,
  });
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

/**
 * Workers write Kafka with `merge` only. `replace` the Kafka sink refuses for any run (a topic
 * cannot be swapped). `append` it takes from one `capital run`, which never stores a page twice,
 * but a worker's job may run twice (a stalled worker's, taken again): on a compacted topic merge
 * makes that harmless, while with append consumers would see the page's records twice, and the
 * sink cannot tell inside the page's transaction that another worker stored it (its checkpoint
 * is read once, when it opens).
 *
 * @throws {CliUsageError} for `append` and `replace`.
 */
function refuseKafkaDisposition(disposition: WriteDisposition): void {
  if (disposition === 'merge') return;
  throw new CliUsageError(
    disposition === 'replace'
      ? '--write replace is not supported by the Kafka sink: a topic cannot be swapped atomically. Use --write merge on a compacted topic, or write a new topic and switch consumers to it.'
      : "--write append is not supported with workers on Kafka: a task delivered twice (a stalled worker's, run again) would add its page's records to the topic twice, and a worker cannot tell that another one stored the page. Use --write merge on a compacted topic, or capital run --write append (one process, each page once).",
  );
}
