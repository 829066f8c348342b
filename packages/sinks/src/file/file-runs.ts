import { readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RunInfo, WriteDisposition } from '@capital/core';
import {
  chooseRun,
  interrupted,
  keptRunsPerJob,
  latestWatermark,
  newRunId,
  type OpenedRun,
  type OpenRunOptions,
  runAgain,
} from '../runs.js';
import { partialPathFor } from './stale-partials.js';
import { knownState, rememberState, type StateFile, stateText } from './state-file.js';
import { writeSynced } from './write-synced.js';

/** The state file beside an output file: `.NAME.runs.json`, hidden like the partial files. */
export function stateFileFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.runs.json`);
}

/**
 * The runs of the jobs that write one file, kept in a state file beside it and replaced by
 * rename (written whole to a partial file, flushed, renamed over the old one), so a reader finds
 * either the state before or after, never a torn one. The file is read and rewritten whole two
 * or three times a run, which is why its history is bounded ({@link keptRunsPerJob} a job).
 *
 * The file sink keeps no page checkpoints: its partial file dies with its process, so a
 * resumed run fetches every page again, under the same run id and the same `since`.
 */
export class FileRuns {
  readonly #path: string;
  readonly #job: string;
  readonly #disposition: WriteDisposition;
  readonly #sweep: () => Promise<void>;
  /** The `running` mark of the run `begin` opened, until it is in place. */
  #marking: Promise<void> | undefined;

  /**
   * @param sweep deletes the partial files of writers that died (the state file's among them),
   *   once: awaited before the first version this ledger writes is renamed into place.
   */
  constructor(path: string, job: string, disposition: WriteDisposition, sweep: () => Promise<void>) {
    this.#path = stateFileFor(path);
    this.#job = job;
    this.#disposition = disposition;
    this.#sweep = sweep;
  }

  /** The job's runs, newest first. */
  async list(): Promise<RunInfo[]> {
    await this.#marking?.catch(() => undefined);
    const { runs } = await this.#read();
    return runs.filter((run) => run.job === this.#job).reverse();
  }

  /**
   * Opens the run to write (see `RunLedger.open`) in two steps: the run is chosen at once, and its
   * `running` mark is written to the state file and flushed in `marked`, so that a sink can start
   * the crawl's first requests meanwhile. Nothing
   * of the run may become visible before `marked` resolves (the file sink waits for it before its
   * first write and its commit); a crash before then leaves no trace of the run, as if it had not
   * started.
   */
  async begin(options: OpenRunOptions = {}): Promise<{ opened: OpenedRun; marked: Promise<void> }> {
    const state = await this.#read();
    const mine = state.runs.filter((run) => run.job === this.#job).reverse();
    const resumed = chooseRun(mine, options.choice ?? { kind: 'auto' }, this.#disposition);
    const watermark = latestWatermark(mine);
    let run: RunInfo;
    let runs: RunInfo[];
    if (resumed !== undefined) {
      run = { ...runAgain(resumed), pages: 0 };
      runs = state.runs.map((entry) => (entry.id === run.id ? run : entry));
    } else {
      const since = options.since?.(watermark);
      run = {
        id: newRunId(),
        job: this.#job,
        state: 'running',
        disposition: this.#disposition,
        startedAt: Date.now(),
        pages: 0,
        ...(since === undefined ? {} : { since }),
      };
      runs = withinHistory(
        [
          ...state.runs.map(
            (entry): RunInfo =>
              entry.job === this.#job && entry.state === 'running'
                ? { ...entry, state: 'interrupted' }
                : entry,
          ),
          run,
        ],
        this.#job,
      );
    }
    const marked = this.#write({ version: 1, runs });
    this.#marking = marked;
    // Awaited by whoever needs the mark; not left unhandled when no one does.
    marked.catch(() => undefined);
    return { opened: { run, resumed: resumed !== undefined, pagesStored: 0, watermark }, marked };
  }

  /**
   * Marks a run finished with its page count and watermark, in two steps, so that a sink can
   * write and flush the state file's new version while its data is flushed too: it takes effect
   * on `commit` (a rename), to be called once the data is in place; `discard` deletes it instead.
   */
  async prepareFinish(runId: string, pages: number, watermark: string | undefined): Promise<PreparedState> {
    await this.#marking;
    const state = await this.#read();
    const finished = (run: RunInfo): RunInfo => ({
      ...run,
      state: 'finished',
      finishedAt: Date.now(),
      pages,
      ...(watermark === undefined ? {} : { watermark }),
    });
    return this.#prepare({
      version: 1,
      runs: state.runs.map((run) => (run.id === runId ? finished(run) : run)),
    });
  }

  /** Marks a run interrupted (it stays resumable), deferred until `resumeAt` when given. */
  interrupt(runId: string, resumeAt?: number): Promise<void> {
    return this.#update(runId, (run) => (run.state === 'running' ? interrupted(run, resumeAt) : run));
  }

  /** Forgets the job's runs and watermark; returns how many runs it removed. */
  async reset(): Promise<number> {
    const state = await this.#read();
    const kept = state.runs.filter((run) => run.job !== this.#job);
    if (kept.length === 0) await rm(this.#path, { force: true });
    else await this.#write({ version: 1, runs: kept });
    return state.runs.length - kept.length;
  }

  async #update(runId: string, change: (run: RunInfo) => RunInfo): Promise<void> {
    await this.#marking;
    const state = await this.#read();
    await this.#write({ version: 1, runs: state.runs.map((run) => (run.id === runId ? change(run) : run)) });
  }

  /**
   * The state file, parsed; read again only when it is no longer the file this process last read
   * or wrote (another process replaced it): a run reads it up to four times, and a process that
   * runs jobs one after the other (a worker, a benchmark) finds it as its last run left it.
   */
  async #read(): Promise<StateFile> {
    const identity = await this.#identity();
    if (identity === undefined) return { version: 1, runs: [] };
    const known = knownState(this.#path);
    if (known?.identity === identity) return known.state;
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, runs: [] };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<StateFile>;
    const state: StateFile = {
      version: 1,
      runs: Array.isArray(parsed.runs) ? parsed.runs.filter(isRunInfo).map(withValidResumeAt) : [],
    };
    // Replaced between the stat and the read, the file read is newer than `identity`: the next
    // read, finding another identity, reads it again.
    rememberState(this.#path, { identity, state });
    return state;
  }

  /**
   * Which version of the state file is there: its inode (each version is a new file, renamed in)
   * with its size and change time; `undefined` when there is none.
   */
  async #identity(): Promise<string | undefined> {
    try {
      const found = await stat(this.#path, { bigint: true });
      return `${found.dev}:${found.ino}:${found.size}:${found.ctimeNs}:${found.mtimeNs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async #write(state: StateFile): Promise<void> {
    await (await this.#prepare(state)).commit();
  }

  /** The state written whole to a partial file and flushed, to be renamed over the state file. */
  async #prepare(state: StateFile): Promise<PreparedState> {
    // Partials of writers killed before their rename: swept once, while this one is written
    // (never one of this process's).
    const swept = this.#sweep();
    const partial = partialPathFor(this.#path);
    try {
      await writeSynced(partial, stateText(state));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    } finally {
      await swept;
    }
    return {
      commit: async () => {
        await rename(partial, this.#path);
        // What this process reads next, unless another process replaces the file meanwhile.
        const identity = await this.#identity().catch(() => undefined);
        rememberState(this.#path, identity === undefined ? undefined : { identity, state });
      },
      discard: () => rm(partial, { force: true }),
    };
  }
}

/** A new version of the state file, flushed, not yet in place. */
export type PreparedState = {
  /** Puts it in place (one rename). */
  commit(): Promise<void>;
  /** Deletes it. */
  discard(): Promise<void>;
};

/**
 * The runs to keep once `job` opens a new one: its newest {@link keptRunsPerJob}, and its latest
 * finished run with a watermark if that is older; other jobs' runs are theirs to prune.
 */
function withinHistory(runs: readonly RunInfo[], job: string): RunInfo[] {
  const mine = runs.filter((run) => run.job === job);
  if (mine.length <= keptRunsPerJob) return [...runs];
  const kept = new Set(mine.slice(-keptRunsPerJob));
  const lastMarked = mine.findLast((run) => run.state === 'finished' && run.watermark !== undefined);
  if (lastMarked !== undefined) kept.add(lastMarked);
  return runs.filter((run) => run.job !== job || kept.has(run));
}

/** A `resumeAt` that is not a finite number (a hand edit) is dropped, not the run. */
function withValidResumeAt(run: RunInfo): RunInfo {
  if (run.resumeAt === undefined || Number.isFinite(run.resumeAt)) return run;
  const { resumeAt: _invalid, ...rest } = run;
  return rest;
}

/** A run as the state file may hold it: anything else (a hand edit gone wrong) is dropped. */
function isRunInfo(value: unknown): value is RunInfo {
  const run = value as Partial<RunInfo> | null;
  return (
    typeof run === 'object' &&
    run !== null &&
    typeof run.id === 'string' &&
    typeof run.job === 'string' &&
    (run.state === 'running' || run.state === 'interrupted' || run.state === 'finished') &&
    (run.disposition === 'append' || run.disposition === 'merge' || run.disposition === 'replace') &&
    typeof run.startedAt === 'number' &&
    typeof run.pages === 'number'
  );
}
