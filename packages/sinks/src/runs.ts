import { randomUUID } from 'node:crypto';
import { CapitalError, type RunChoice, type RunInfo, type WriteDisposition } from '@capital/core';

/** What opening a run found and chose. */
export type OpenedRun = {
  readonly run: RunInfo;
  /** `true` when an unfinished run goes on; `false` for a new one. */
  readonly resumed: boolean;
  /** Pages of this run already stored (a resumed run skips fetching them). */
  readonly pagesStored: number;
  /** The watermark of the job's latest finished run, for an incremental run to ask from. */
  readonly watermark: string | undefined;
};

/** What a run records when it finishes. */
export type FinishRun = {
  /** The incremental watermark to commit with the run (its start, not its end). */
  readonly watermark?: string | undefined;
  /**
   * `false` leaves the run unfinished: a worker that stops while others go on writing the same
   * run must not finish it (nor, for `replace`, swap a partial table in).
   * @default true
   */
  readonly finishRun?: boolean | undefined;
};

/** Options of {@link RunLedger.open}. */
export type OpenRunOptions = {
  /** @default { kind: 'auto' } */
  readonly choice?: RunChoice | undefined;
  /**
   * For a new run: given the job's watermark, the point in time its seeds ask from (ISO 8601),
   * kept with the run so that a resume asks from the same.
   */
  readonly since?: ((watermark: string | undefined) => string | undefined) | undefined;
  /**
   * Finish the run in the transaction of the crawl's last page (`SinkPage.last`) rather than in
   * one of its own at `close()`: with it, a sink that commits pages in transactions
   * (PostgreSQL, Kafka with `exactlyOnce`) commits the run `finished`, and its watermark, with
   * the last page's rows. Absent, or when no page comes marked last, `close()` finishes the run.
   */
  readonly finish?: FinishRunById | undefined;
};

/**
 * The runs of one job, kept by the sink beside its checkpoints: every page a sink stores belongs
 * to the run it opened, and closing the sink finishes that run.
 */
export type RunLedger = {
  /**
   * Opens the run the sink's writes belong to (once; later calls return the first answer).
   * `auto` resumes the job's latest run when it is unfinished and starts a new one otherwise.
   *
   * @throws {RunNotFoundError} for a `resume` of a run the job does not have or that finished.
   * @throws {RunDispositionError} when resuming a run started with another disposition.
   */
  open(options?: OpenRunOptions): Promise<OpenedRun>;
  /** The job's runs, newest first. */
  list(): Promise<readonly RunInfo[]>;
  /** Forgets the job's runs, page checkpoints and watermark; returns how many runs it removed. */
  reset(): Promise<number>;
  /**
   * Present on ledgers that can finish a run another process opened (PostgreSQL, Kafka): marks run
   * `runId` finished, whatever job it belongs to, unless it is finished already — so that
   * several workers that each see the crawl end finish it once between them.
   *
   * @returns `true` when this call finished it, `false` when it was finished already.
   * @throws {RunNotFoundError} when the sink keeps no run `runId`.
   */
  finish?(runId: string, options?: FinishRunById): Promise<boolean>;
};

/** Options of {@link RunLedger.finish}. */
export type FinishRunById = {
  /** The watermark to commit, given the run as it was opened (its start, for an incremental job). */
  readonly watermark?: ((run: RunInfo) => string | undefined) | undefined;
};

/**
 * The name of a job: its connector and parameters (sorted), as `wtd {"search":"new york"}`.
 * The sink target is where its runs are kept, so it needs no place in the name.
 */
export function jobName(connector: string, params: Readonly<Record<string, string>>): string {
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${connector} ${JSON.stringify(sorted)}`;
}

/** A new run id: 8 hex digits, short enough to type and to suffix a table name with. */
export function newRunId(): string {
  // A v4 UUID's first 8 hex digits are random; randomUUID draws from a pool it fills in bulk,
  // where randomBytes asks the system each call.
  return randomUUID().slice(0, 8);
}

/** The run `capital run --resume RUN` names is not one the job can resume. */
export class RunNotFoundError extends CapitalError {
  override readonly name = 'RunNotFoundError' as const;
  readonly runId: string;
  constructor(runId: string, problem: string) {
    super(`Run ${runId} ${problem}`, { code: 'RUN_NOT_FOUND' });
    this.runId = runId;
  }
}

/** The unfinished run to resume was started with another write disposition. */
export class RunDispositionError extends CapitalError {
  override readonly name = 'RunDispositionError' as const;
  constructor(runId: string, started: WriteDisposition, asked: WriteDisposition) {
    super(
      `Run ${runId} was started with --write ${started} and is unfinished: resume it with --write ${started}, or start a new run with --fresh (asked: --write ${asked}).`,
      { code: 'RUN_DISPOSITION_MISMATCH' },
    );
  }
}

/**
 * The runs of one job a sink keeps: as a new run opens, older ones are dropped (all but the
 * latest finished run with a watermark, which the next incremental run asks from). Unbounded, a
 * job run hourly would read a year's runs each time one opens.
 */
export const keptRunsPerJob = 50;

/**
 * Picks the run to open from the job's runs (newest first).
 *
 * @returns the run to resume, or `undefined` for a new one.
 * @throws {RunNotFoundError} @throws {RunDispositionError} as {@link RunLedger.open} says.
 */
export function chooseRun(
  runs: readonly RunInfo[],
  choice: RunChoice,
  disposition: WriteDisposition,
): RunInfo | undefined {
  let run: RunInfo | undefined;
  if (choice.kind === 'fresh') return undefined;
  if (choice.kind === 'resume') {
    run = runs.find((candidate) => candidate.id === choice.id);
    if (run === undefined) throw new RunNotFoundError(choice.id, 'is not a run of this job.');
    if (run.state === 'finished') throw new RunNotFoundError(choice.id, 'has finished: nothing to resume.');
  } else {
    run = runs[0]?.state === 'finished' ? undefined : runs[0];
  }
  if (run !== undefined && run.disposition !== disposition) {
    throw new RunDispositionError(run.id, run.disposition, disposition);
  }
  return run;
}

/**
 * The run `choice` would resume if it is deferred until after `now` (its `resumeAt` not yet
 * come), else `undefined`: the API asked us to wait, so such a run is not resumed before then.
 * A `fresh` choice resumes nothing, so nothing holds it back.
 */
export function stillDeferred(runs: readonly RunInfo[], choice: RunChoice, now: number): RunInfo | undefined {
  if (choice.kind === 'fresh') return undefined;
  const run = choice.kind === 'resume' ? runs.find((candidate) => candidate.id === choice.id) : runs[0];
  return run !== undefined && run.state === 'interrupted' && (run.resumeAt ?? 0) > now ? run : undefined;
}

/** A run as it goes on: `running`, without the deferral it may have had. */
export function runAgain(run: RunInfo): RunInfo {
  const { resumeAt: _deferredUntil, ...rest } = run;
  return { ...rest, state: 'running' };
}

/** An `interrupted` run, with `resumeAt` when the API deferred it. */
export function interrupted(run: RunInfo, resumeAt: number | undefined): RunInfo {
  const { resumeAt: _earlier, ...rest } = run;
  return { ...rest, state: 'interrupted', ...(resumeAt === undefined ? {} : { resumeAt }) };
}

/** The watermark of the job's latest finished run that committed one (runs newest first). */
export function latestWatermark(runs: readonly RunInfo[]): string | undefined {
  return runs.find((run) => run.state === 'finished' && run.watermark !== undefined)?.watermark;
}
