import type { RunChoice, RunInfo, RunState, Task, WriteDisposition } from '@capital/core';
import {
  chooseRun,
  interrupted,
  keptRunsPerJob,
  latestWatermark,
  newRunId,
  type OpenedRun,
  runAgain,
} from '../runs.js';
import { KafkaSinkError } from './kafka-errors.js';

/** A message for the checkpoint topic: a key, and a value or a tombstone (`null`). */
export type CheckpointEntry = { readonly key: string; readonly value: Buffer | null };

/** What one job needs to know of the checkpoint topic: its runs and each run's stored pages. */
type RunRecord = Omit<RunInfo, 'pages'> & { readonly pages?: number | undefined };

// Keys of the checkpoint topic: `run:<id>` holds a run's record (JSON), `page:<id>:<task key>` a
// stored page's next tasks. Keys of neither shape (bare task keys, written before runs) are left alone.
const runKey = (id: string): string => `run:${id}`;
/** The checkpoint-topic key of a page stored under run `runId`. */
export const pageKey = (runId: string, taskKey: string): string => `page:${runId}:${taskKey}`;
const runIdPattern = /^[0-9a-f]{8}$/;
const states: ReadonlySet<RunState> = new Set(['running', 'interrupted', 'finished']);
const dispositions: ReadonlySet<WriteDisposition> = new Set(['append', 'merge', 'replace']);

/**
 * The runs of every job whose sink shares one checkpoint topic, with their stored pages, as the
 * committed messages of that topic say; and the messages that change them. Nothing here talks to
 * Kafka: the sink sends what these methods return, in a transaction, and calls `apply` once it
 * is committed, so memory never runs ahead of the topic.
 */
export class KafkaRunBook {
  readonly #checkpointTopic: string;
  readonly #topic: string;
  readonly #runs = new Map<string, RunRecord>();
  readonly #pages = new Map<string, Map<string, readonly Task[]>>();

  /** An empty book: `apply` the checkpoint topic's committed messages to it, in order. */
  constructor(names: { readonly checkpointTopic: string; readonly topic: string }) {
    this.#checkpointTopic = names.checkpointTopic;
    this.#topic = names.topic;
  }

  /**
   * Takes a committed message into account (a tombstone forgets its key).
   * @throws {KafkaSinkError} `KAFKA_CHECKPOINT_INVALID` for a run record or page that cannot be read.
   */
  apply(entry: CheckpointEntry): void {
    const [kind, id, taskKey] = splitKey(entry.key);
    if (kind === 'run' && id !== undefined) {
      if (entry.value === null) this.#runs.delete(id);
      else this.#runs.set(id, this.#parseRun(entry, id));
    } else if (kind === 'page' && id !== undefined && taskKey !== undefined) {
      if (entry.value === null) this.#pages.get(id)?.delete(taskKey);
      else this.recordPage(id, taskKey, this.#parseNextTasks(entry, taskKey));
    }
  }

  /** The job's runs, newest first. */
  list(job: string): RunInfo[] {
    const runs = [...this.#runs.values()].filter((run) => run.job === job);
    // Newest first; a run seen later wins a tie (two runs opened in one millisecond).
    return runs
      .map((run, index) => ({ run, index }))
      .sort((a, b) => b.run.startedAt - a.run.startedAt || b.index - a.index)
      .map(({ run }) => ({ ...run, pages: run.pages ?? this.#pages.get(run.id)?.size ?? 0 }));
  }

  /**
   * Chooses the run to write (see `chooseRun`) and the messages that open it: the run marked
   * `running`, and, for a new run, the job's other unfinished runs marked `interrupted` and
   * tombstones for its runs beyond its history ({@link keptRunsPerJob}) and their pages: the
   * sink reads every run of the topic when it starts.
   */
  open(
    job: string,
    disposition: WriteDisposition,
    choice: RunChoice,
    since: ((watermark: string | undefined) => string | undefined) | undefined,
    now: number,
  ): { readonly opened: OpenedRun; readonly entries: CheckpointEntry[] } {
    const runs = this.list(job);
    const resumed = chooseRun(runs, choice, disposition);
    const watermark = latestWatermark(runs);
    const entries: CheckpointEntry[] = [];
    let run: RunInfo;
    if (resumed !== undefined) {
      run = runAgain(resumed);
    } else {
      for (const other of runs) {
        if (other.state === 'running') entries.push(runEntry({ ...other, state: 'interrupted' }));
      }
      const startSince = since?.(watermark);
      run = {
        id: this.#newId(),
        job,
        state: 'running',
        disposition,
        startedAt: now,
        pages: 0,
        ...(startSince === undefined ? {} : { since: startSince }),
      };
    }
    entries.push(runEntry(run));
    if (resumed === undefined) entries.push(...this.#beyondHistory([run, ...runs]));
    return { opened: { run, resumed: resumed !== undefined, pagesStored: run.pages, watermark }, entries };
  }

  /**
   * The messages that finish a run: its record `finished`, with its page count and watermark,
   * and tombstones for the pages of the job's earlier finished runs (of no more use).
   * `storing`: task keys of pages of the run going in the same transaction, counted too.
   */
  finish(
    runId: string,
    watermark: string | undefined,
    now: number,
    storing: readonly string[] = [],
  ): CheckpointEntry[] {
    const run = this.#runs.get(runId);
    if (run === undefined) {
      throw new KafkaSinkError(this.#topic, `Run ${runId} is not in ${this.#checkpointTopic}.`, {
        code: 'RUN_NOT_FOUND',
      });
    }
    const entries: CheckpointEntry[] = [];
    for (const other of this.#runs.values()) {
      if (other.job === run.job && other.state === 'finished' && other.id !== runId) {
        entries.push(...this.#pageTombstones(other.id));
      }
    }
    const stored = this.#pages.get(runId);
    const pages = (stored?.size ?? 0) + new Set(storing.filter((key) => !stored?.has(key))).size;
    const { watermark: _old, ...rest } = run;
    entries.push(
      runEntry({
        ...rest,
        state: 'finished',
        finishedAt: now,
        pages,
        ...(watermark === undefined ? {} : { watermark }),
      }),
    );
    return entries;
  }

  /** Run `runId`, whatever its job, if the topic has it. */
  find(runId: string): RunInfo | undefined {
    const run = this.#runs.get(runId);
    return run && { ...run, pages: run.pages ?? this.#pages.get(runId)?.size ?? 0 };
  }

  /**
   * The message that marks a run `interrupted`, if it is `running`: deferred until `resumeAt`
   * (ms since the epoch) when given.
   */
  interrupt(runId: string, resumeAt?: number): CheckpointEntry[] {
    const found = this.find(runId);
    return found?.state === 'running' ? [runEntry(interrupted(found, resumeAt))] : [];
  }

  /** Tombstones for every run of the job and every page of them. */
  reset(job: string): { readonly runs: number; readonly entries: CheckpointEntry[] } {
    const runs = this.list(job);
    const entries = runs.flatMap((run) => [
      ...this.#pageTombstones(run.id),
      { key: runKey(run.id), value: null },
    ]);
    return { runs: runs.length, entries };
  }

  /** Notes a page committed under run `runId`, with its next tasks. */
  recordPage(runId: string, taskKey: string, nextTasks: readonly Task[]): void {
    let pages = this.#pages.get(runId);
    if (pages === undefined) {
      pages = new Map();
      this.#pages.set(runId, pages);
    }
    pages.set(taskKey, nextTasks);
  }

  /** The pages of `keys` stored under run `runId`, with their next tasks. */
  completed(runId: string, keys: readonly string[]): Map<string, readonly Task[]> {
    const pages = this.#pages.get(runId);
    const found = new Map<string, readonly Task[]>();
    for (const key of keys) {
      const nextTasks = pages?.get(key);
      if (nextTasks) found.set(key, nextTasks);
    }
    return found;
  }

  /** The state of run `runId` as last committed, if it is known. */
  stateOf(runId: string): RunState | undefined {
    return this.#runs.get(runId)?.state;
  }

  /**
   * Tombstones for the runs (newest first) past the job's newest {@link keptRunsPerJob}, but its
   * latest finished run with a watermark, which the next incremental run asks from; and their pages.
   */
  #beyondHistory(runs: readonly RunInfo[]): CheckpointEntry[] {
    if (runs.length <= keptRunsPerJob) return [];
    const marked = runs.find((run) => run.state === 'finished' && run.watermark !== undefined);
    return runs
      .slice(keptRunsPerJob)
      .filter((run) => run !== marked)
      .flatMap((run) => [...this.#pageTombstones(run.id), { key: runKey(run.id), value: null }]);
  }

  #pageTombstones(runId: string): CheckpointEntry[] {
    return [...(this.#pages.get(runId)?.keys() ?? [])].map((taskKey) => ({
      key: pageKey(runId, taskKey),
      value: null,
    }));
  }

  #newId(): string {
    let id = newRunId();
    while (this.#runs.has(id)) id = newRunId();
    return id;
  }

  #parseRun(entry: CheckpointEntry, id: string): RunRecord {
    let run: unknown;
    try {
      run = JSON.parse((entry.value as Buffer).toString());
    } catch {
      run = undefined;
    }
    const record = run as Partial<Record<keyof RunRecord, unknown>> | undefined;
    const optional = (value: unknown, type: 'string' | 'number'): boolean =>
      value === undefined || typeof value === type;
    if (
      typeof record !== 'object' ||
      record === null ||
      record.id !== id ||
      typeof record.job !== 'string' ||
      !states.has(record.state as RunState) ||
      !dispositions.has(record.disposition as WriteDisposition) ||
      typeof record.startedAt !== 'number' ||
      !optional(record.finishedAt, 'number') ||
      !optional(record.pages, 'number') ||
      !optional(record.since, 'string') ||
      !optional(record.watermark, 'string') ||
      !optional(record.resumeAt, 'number')
    ) {
      throw this.#invalid(`the record of run ${id}`, 'it is not a run record');
    }
    return record as RunRecord;
  }

  #parseNextTasks(entry: CheckpointEntry, taskKey: string): readonly Task[] {
    let tasks: unknown;
    let problem = 'it is not a JSON array of tasks';
    try {
      tasks = JSON.parse((entry.value as Buffer).toString());
    } catch (error) {
      problem = (error as Error).message;
    }
    const isTask = (task: unknown): boolean =>
      typeof task === 'object' && task !== null && !Array.isArray(task);
    if (!Array.isArray(tasks) || !tasks.every(isTask)) {
      throw this.#invalid(`the checkpoint of task ${taskKey.slice(0, 12)}`, problem);
    }
    return tasks as Task[];
  }

  #invalid(what: string, problem: string): KafkaSinkError {
    return new KafkaSinkError(
      this.#topic,
      `${what} in ${this.#checkpointTopic} cannot be read: ${problem}.`,
      {
        code: 'KAFKA_CHECKPOINT_INVALID',
      },
    );
  }
}

/**
 * A run's record as the checkpoint topic keeps it. Only a finished run's holds its page count:
 * an open run's is counted from its page checkpoints, which grow without the record being rewritten.
 */
function runEntry(run: RunInfo | RunRecord): CheckpointEntry {
  const { pages, ...rest } = run;
  const record = run.state === 'finished' ? run : rest;
  return { key: runKey(run.id), value: Buffer.from(JSON.stringify(record)) };
}

function splitKey(key: string): [string, string | undefined, string | undefined] {
  const [kind = '', id, ...rest] = key.split(':');
  if (id === undefined || !runIdPattern.test(id)) return ['', undefined, undefined];
  if (kind === 'run' && rest.length === 0) return ['run', id, undefined];
  if (kind === 'page' && rest.length > 0) return ['page', id, rest.join(':')];
  return ['', undefined, undefined];
}
