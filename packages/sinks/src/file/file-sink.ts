import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  type Checkpoint,
  InvalidOptionError,
  isRunDeferred,
  type Task,
  type WriteDisposition,
} from '@capital/core';
import { type EncodedLines, provenanceLinesInto } from '../provenance.js';
import type { FinishRun, OpenedRun, OpenRunOptions, RunLedger } from '../runs.js';
import type { PageReceipt, RecordKey, Sink, SinkPage, SinkSummary } from '../sink.js';
import { type PageLabel, SinkWriteError } from '../sink-error.js';
import { combineOutput } from './combine-output.js';
import { FileRuns, stateFileFor } from './file-runs.js';
import { type AdoptedRun, adoptKeptRun, keptPageLine, keptRunPaths, removeKeptRun } from './kept-run.js';
import { partialPathFor, removeStalePartials } from './stale-partials.js';
import { syncOnClose } from './sync-on-close.js';

/** Options of {@link FileSink}. */
export type FileSinkOptions<D> = {
  /** The NDJSON file to produce. Its folder is created if missing. */
  readonly path: string;
  /** Adds `_record_key` to every line. */
  readonly recordKey?: RecordKey<D>;
  /**
   * Flushes the file to the disk (fsync) before it is renamed into place.
   * @default true
   */
  readonly fsync?: boolean;
  /**
   * Pages `writeTo` hands over at once. The stream writes them in the order they came, so the
   * file's lines keep the crawl's order whatever this is; above 1, the disk works on one page
   * while the next is serialised, and each page is still acknowledged only once it is written.
   * @default 8
   */
  readonly maxPendingWrites?: number;
  /**
   * What a finished run does with the file there before: `replace` renames the run's file over
   * it; `append` adds the run's lines to the old ones; `merge` keeps one line per record key
   * (the run's), and needs `recordKey`. Each ends in one rename.
   * @default 'replace'
   */
  readonly disposition?: WriteDisposition | undefined;
  /**
   * The job the runs belong to, kept in a state file beside the output (`.NAME.runs.json`).
   * @default 'default'
   */
  readonly job?: string | undefined;
};

/**
 * Writes pages as NDJSON: one record per line, the API's fields unchanged, then `_task_key`,
 * `_page`, `_fetched_at` (and `_record_key`). It writes to a hidden temporary file beside the
 * target and renames it into place on `close()`, so a failed or interrupted run never leaves a
 * file that looks complete; `abort()` deletes the temporary file. The temporary file's name holds
 * its writer's pid and start time, and the first write deletes those of writers no longer
 * running (a process killed with SIGKILL cannot delete its own).
 *
 * `write` resolves once the page is handed to the OS, so a slow disk slows the crawl.
 *
 * `runs.open()` resolves once the run is chosen; its `running` mark is written and flushed while
 * the crawl's first requests go out, and `write`, `close`, `abort` and `runs.list()` wait for it.
 * A process killed before the mark is in place leaves no trace of the run. Open a sink only to
 * write to it, close it or abort it.
 *
 * A run aborted because it was deferred (`RunDeferredError`: the API asked for a long pause)
 * keeps what it wrote, with each page's key and next tasks, beside the output; its resume takes
 * it over and skips those pages (see {@link FileSink.checkpoint}). Any other abort deletes it.
 *
 * @example
 * const sink = new FileSink({ path: 'data/wtd.ndjson', recordKey: (l) => l.symbol });
 * await lastValueFrom(seeds$.pipe(crawl(handler), writeTo(sink)), { defaultValue: undefined });
 * await sink.close();
 */
export class FileSink<D = unknown> implements Sink<D> {
  readonly path: string;
  readonly temporaryPath: string;
  /** The hidden temporary file of the pages written (key and next tasks), kept if deferred. */
  readonly pagesTemporaryPath: string;
  /** See {@link FileSinkOptions.maxPendingWrites}. */
  readonly maxPendingWrites: number;
  readonly disposition: WriteDisposition;
  /** The job's runs, in the state file beside the output. */
  readonly runs: RunLedger;
  readonly #options: FileSinkOptions<D>;
  readonly #runs: FileRuns;
  /** The record keys this run wrote, for `merge`. */
  readonly #keys = new Set<string>();
  #opened: Promise<OpenedRun> | undefined;
  /** The opened run's `running` mark, written while the crawl starts: awaited by the first write. */
  #marked: Promise<void> | undefined;
  /** Partials of dead writers of the output, its pages file and its state file: one sweep. */
  #swept: Promise<void> | undefined;
  #stream: Promise<WriteStream> | undefined;
  /** The partial file's stream once the run and the file are open. */
  #ready: WriteStream | undefined;
  /** One line per page written (its key and next tasks), kept if the run is deferred. */
  #pagesStream: WriteStream | undefined;
  /** The output's folder, made once (`mkdir -p`). */
  #folder: Promise<unknown> | undefined;
  /** What a resumed run took over from its deferred self. */
  #adopted: AdoptedRun | undefined;
  /**
   * Lines of the pages file not yet handed to its stream: the file is made only once they reach
   * {@link pagesBatchBytes}, or the run is deferred; a run shorter than that never writes one.
   * A page without next tasks (most) is held by its key, its line made only if the file is.
   */
  #pagesLines: (string | { readonly key: string })[] = [];
  /** The characters of {@link #pagesLines} once made. */
  #pagesChars = 0;
  #pages = 0;
  #records = 0;
  /** Buffers pages were written from, free for the next ones (see `#encode`). */
  readonly #buffers: Buffer[] = [];
  /** The last page's size in bytes, to size a new buffer. */
  #lastBytes = minChunkBytes;
  #state: 'open' | 'closed' | 'aborted' = 'open';
  /** Whether closing the data file flushes it (fsync): set once its lines are all written, never by `abort()`. */
  #syncData = false;

  constructor(options: FileSinkOptions<D>) {
    this.#options = options;
    this.path = resolve(options.path);
    this.maxPendingWrites = options.maxPendingWrites ?? 8;
    this.temporaryPath = partialPathFor(this.path);
    this.pagesTemporaryPath = partialPathFor(pagesFileOf(this.path));
    this.disposition = options.disposition ?? 'replace';
    if (this.disposition === 'merge' && options.recordKey === undefined) {
      throw new InvalidOptionError(
        'disposition',
        'merge needs recordKey, to tell which lines a run replaces.',
      );
    }
    this.#runs = new FileRuns(this.path, options.job ?? 'default', this.disposition, () => this.#sweep());
    this.runs = {
      open: (openOptions) => this.#openRun(openOptions),
      list: () => this.#runs.list(),
      reset: async () => {
        const runs = await this.#runs.list();
        await Promise.all(runs.map((run) => removeKeptRun(this.path, run.id)));
        return this.#runs.reset();
      },
    };
  }

  /**
   * The pages a deferred run stored, when this run resumes it: the crawl skips them and walks on
   * from their next tasks. Undefined otherwise (a file sink keeps no other checkpoints).
   */
  get checkpoint(): Checkpoint | undefined {
    const adopted = this.#adopted;
    if (adopted === undefined || adopted.pages.size === 0) return undefined;
    return {
      completed: async (keys) => {
        const found = new Map<string, readonly Task[]>();
        for (const key of keys) {
          const nextTasks = adopted.pages.get(key);
          if (nextTasks !== undefined) found.set(key, nextTasks);
        }
        return found;
      },
    };
  }

  /**
   * Opens the run once. It resolves as soon as the run is chosen, its `running` mark still being
   * written and flushed: the crawl's first requests go out meanwhile, and the first write (like
   * `close()` and `abort()`) waits for the mark, so nothing of the run is stored before it.
   */
  #openRun(options?: OpenRunOptions): Promise<OpenedRun> {
    this.#opened ??= this.#makeFolder()
      .then(() => this.#runs.begin(options))
      .then(async ({ opened, marked }) => {
        this.#marked = marked;
        if (!opened.resumed) return opened;
        const adopted = await adoptKeptRun(this.path, opened.run.id, {
          data: this.temporaryPath,
          pages: this.pagesTemporaryPath,
        });
        if (adopted === undefined) return opened;
        this.#adopted = adopted;
        this.#pages = adopted.pages.size;
        this.#records = adopted.records;
        if (this.disposition === 'merge') for (const key of adopted.recordKeys) this.#keys.add(key);
        return { ...opened, pagesStored: adopted.pages.size };
      })
      .catch((error: unknown) => {
        this.#opened = undefined;
        throw error;
      });
    return this.#opened;
  }

  /**
   * Encodes the page at once, into a buffer of its own pool, and keeps of it only what the
   * write needs after (its key, task, next tasks and record count): its records may die while
   * the bytes wait for the disk, behind up to `maxPendingWrites - 1` others.
   */
  write(page: SinkPage<D>): Promise<PageReceipt> {
    if (this.#state !== 'open') {
      return Promise.reject(new SinkWriteError(page, `the file sink is ${this.#state}.`));
    }
    const keys: string[] | undefined = this.disposition === 'merge' ? [] : undefined;
    let encoded: EncodedLines;
    let stored: StoredPage;
    try {
      encoded = this.#encode(page, keys);
      stored = {
        key: page.key,
        task: page.task,
        line: page.nextTasks.length === 0 ? undefined : keptPageLine(page),
        records: page.data.length,
        keys,
      };
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#store(stored, encoded);
  }

  async #store(page: StoredPage, encoded: EncodedLines): Promise<PageReceipt> {
    // Once the run is open and its file too, a page goes straight to the stream (two awaits less).
    const stream = this.#ready ?? (await this.#prepare(page));
    await new Promise<void>((done, fail) => {
      stream.write(encoded.buffer.subarray(0, encoded.bytes), (error) => {
        if (error) return fail(new SinkWriteError(page, error.message, { cause: error }));
        // Handed to the OS: the buffer takes the next page.
        this.#giveBack(encoded.buffer);
        done();
      });
    });
    // The pages file is read only after a deferral, which flushes it first (`#keep`), and a write
    // error fails that flush as it fails `close()`: its lines go in batches, not a write each.
    this.#pagesLines.push(page.line ?? { key: page.key });
    this.#pagesChars += page.line?.length ?? noTasksLineChars + page.key.length;
    if (this.#pagesChars >= pagesBatchBytes) this.#writePagesLines();
    if (page.keys) for (const key of page.keys) this.#keys.add(key);
    this.#pages += 1;
    this.#records += page.records;
    return { key: page.key, records: page.records };
  }

  /**
   * A buffer from the pool, or a new one as big as the last page's bytes (and some): pages
   * written into buffers that live on leave no garbage outside the heap, where 8 MB a page waiting
   * to be written died promoted and was freed only at a mark-compact (~60 MB more RSS for ~1 MB pages).
   */
  #encode(page: SinkPage<D>, keys: string[] | undefined): EncodedLines {
    const buffer = this.#buffers.pop() ?? Buffer.allocUnsafeSlow(this.#lastBytes + (this.#lastBytes >> 3));
    const encoded = provenanceLinesInto(
      buffer,
      page,
      this.#options.recordKey,
      (index, error) => {
        this.#giveBack(buffer);
        throw new SinkWriteError(page, `record ${index} cannot be serialised as JSON: ${error.message}`, {
          code: 'RECORD_NOT_SERIALISABLE',
          cause: error,
        });
      },
      keys && ((key) => keys.push(key)),
    );
    this.#lastBytes = Math.max(encoded.bytes, minChunkBytes);
    return encoded;
  }

  /** Keeps a buffer for the next pages, as many as can be in flight, unless it is too big to keep. */
  #giveBack(buffer: Buffer): void {
    if (buffer.length <= maxPooledBytes && this.#buffers.length < this.maxPendingWrites)
      this.#buffers.push(buffer);
  }

  /** Opens the run, then the partial file, for the first write. */
  async #prepare(page: PageLabel): Promise<WriteStream> {
    try {
      await this.#openRun();
      await this.#marked;
    } catch (error) {
      throw new SinkWriteError(page, `its run could not be opened: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // abort() may have come while the run opened: then it must not create the partial file.
    if (this.#state !== 'open') throw new SinkWriteError(page, `the file sink is ${this.#state}.`);
    const stream = await this.#open();
    // A failed open (the promise above rejects) is never taken as ready.
    if (this.#state === 'open') this.#ready = stream;
    return stream;
  }

  /**
   * Puts the run's data in place and finishes the run, with two renames: the data file, then the
   * state file (written whole beside it). Nothing of the run is visible before, so these are its
   * commit point, and the crawl's last page (`SinkPage.last`) changes nothing here. A crash
   * between the two leaves the run unfinished, and its resume writes the same result again.
   */
  async close(finish: FinishRun = {}): Promise<SinkSummary> {
    if (this.#state !== 'open') throw new Error(`The file sink for ${this.path} is ${this.#state}.`);
    this.#state = 'closed';
    // The state file's next version (the run finished) is written and flushed while the data is,
    // two flushes at once rather than one after the other; it takes effect only once the data
    // is in place: a crash before then leaves the run unfinished, and its resume writes the same
    // result again (for append: the run's records a second time).
    const finishing = this.#openRun().then(({ run }) =>
      finish.finishRun === false
        ? undefined
        : this.#runs.prepareFinish(run.id, this.#pages, finish.watermark),
    );
    const [flushed, prepared] = await Promise.allSettled([this.#flush(false), finishing]);
    try {
      if (flushed.status === 'rejected') throw flushed.reason;
      if (prepared.status === 'rejected') throw prepared.reason;
      await combineOutput(
        this.path,
        this.temporaryPath,
        this.disposition,
        this.#keys,
        this.#options.fsync ?? true,
      );
    } catch (error) {
      if (prepared.status === 'fulfilled') await prepared.value?.discard();
      throw error;
    }
    // The pages file exists only if its lines outgrew the batch, or a deferred run's was adopted.
    const pagesFile = this.#pagesStream !== undefined || this.#adopted !== undefined;
    await Promise.all([pagesFile && rm(this.pagesTemporaryPath, { force: true }), prepared.value?.commit()]);
    return { pages: this.#pages, records: this.#records, location: this.path };
  }

  /**
   * Throws away what is not final and marks the run interrupted; a `RunDeferredError` as the
   * reason keeps what the run wrote for its resume instead.
   */
  async abort(reason?: unknown): Promise<void> {
    if (this.#state !== 'open') return;
    if (isRunDeferred(reason) && (this.#stream || this.#adopted)) {
      this.#state = 'aborted';
      const opened = await this.#opened?.catch(() => undefined);
      if (opened !== undefined) {
        try {
          await this.#keep(opened.run.id);
          await this.#runs.interrupt(opened.run.id, reason.resumeAt);
          return;
        } catch {
          // Not kept: the resume fetches every page again, as after any other abort.
        }
      }
      this.#state = 'open';
    }
    this.#state = 'aborted';
    if (this.#stream) {
      const stream = await this.#stream;
      // The file is opened asynchronously: wait for the stream to close, or a write still opening
      // it could create the temporary file after it was removed.
      const closed = new Promise<void>((done) =>
        stream.closed ? done() : stream.once('close', () => done()),
      );
      stream.destroy();
      await closed;
    }
    this.#pagesStream?.destroy();
    await Promise.all([
      rm(this.temporaryPath, { force: true }),
      rm(this.pagesTemporaryPath, { force: true }),
    ]);
    const opened = await this.#opened?.catch(() => undefined);
    const resumeAt = isRunDeferred(reason) ? reason.resumeAt : undefined;
    if (opened !== undefined) await this.#runs.interrupt(opened.run.id, resumeAt).catch(() => {});
  }

  #open(): Promise<WriteStream> {
    this.#stream ??= this.#makeFolder().then(async () => {
      // Dead writers' partials swept while the run's files open.
      const swept = this.#sweep();
      // A resumed deferred run appends to the lines it took over.
      const flags = this.#adopted === undefined ? 'w' : 'a';
      const stream = createWriteStream(this.temporaryPath, {
        flags,
        fs: syncOnClose(() => this.#syncData),
      });
      // Errors reach the write callbacks and close(); without a listener, a write still in flight
      // when abort() destroys the stream emits ERR_STREAM_DESTROYED and crashes the process.
      stream.on('error', () => {});
      await swept;
      return stream;
    });
    return this.#stream;
  }

  /** Deletes the partials of writers no longer running, of all three files, in one read of the folder. */
  #sweep(): Promise<void> {
    this.#swept ??= removeStalePartials(this.path, pagesFileOf(this.path), stateFileFor(this.path)).then(
      () => undefined,
      () => undefined,
    );
    return this.#swept;
  }

  /** The output's folder, made once for the run and its files. */
  #makeFolder(): Promise<unknown> {
    this.#folder ??= mkdir(dirname(this.path), { recursive: true }).catch((error: unknown) => {
      this.#folder = undefined;
      throw error;
    });
    return this.#folder;
  }

  /**
   * Hands the batched lines of the pages file to its stream, opened on the first batch (after
   * the data file's: a failed open of that one leaves no pages file behind). A resumed deferred
   * run appends to the lines it took over.
   */
  #writePagesLines(): void {
    if (this.#pagesLines.length === 0) return;
    let lines = '';
    for (const line of this.#pagesLines) {
      lines += typeof line === 'string' ? line : keptPageLine({ key: line.key, nextTasks: [] });
    }
    this.#openPagesStream().write(lines);
    this.#pagesLines = [];
    this.#pagesChars = 0;
  }

  #openPagesStream(): WriteStream {
    if (this.#pagesStream === undefined) {
      const flags = this.#adopted === undefined ? 'w' : 'a';
      this.#pagesStream = createWriteStream(this.pagesTemporaryPath, { flags });
      // Errors reach `#flush` (a deferral's, through `finished`), as the data stream's do.
      this.#pagesStream.on('error', () => {});
    }
    return this.#pagesStream;
  }

  /**
   * Ends both streams and, unless `fsync` is off, flushes the run's lines to the disk, and the
   * pages file's too when it is to be kept (`close()` deletes it: flushing it would be wasted).
   */
  async #flush(keepPages: boolean): Promise<void> {
    const stream = await this.#open();
    if (keepPages) {
      // Kept for the resume, even empty (a deferral before any page was stored).
      this.#openPagesStream();
      this.#writePagesLines();
    } else {
      // Deleted once the run is in place: the lines it still holds need not be written.
      this.#pagesLines = [];
      this.#pagesChars = 0;
    }
    const fsync = this.#options.fsync ?? true;
    // The data file is flushed as its stream closes it (see `syncOnClose`), which `finished` awaits.
    this.#syncData = fsync;
    stream.end();
    this.#pagesStream?.end();
    await Promise.all([finished(stream), this.#pagesStream && finished(this.#pagesStream)]);
    if (fsync && keepPages) await syncFile(this.pagesTemporaryPath);
  }

  /** Keeps a deferred run's lines and pages where its resume finds them (pages last: its mark). */
  async #keep(runId: string): Promise<void> {
    await this.#flush(true);
    const kept = keptRunPaths(this.path, runId);
    await rename(this.temporaryPath, kept.data);
    await rename(this.pagesTemporaryPath, kept.pages);
  }
}

/** The smallest buffer a page is encoded into. */
const minChunkBytes = 16 * 1024;
/** The largest buffer kept for the next pages: pages bigger than that get one each. */
const maxPooledBytes = 8 * 1024 * 1024;

/** What a write keeps of its page while the bytes wait for the disk. */
type StoredPage = PageLabel & {
  /** Its line in the pages file (key and next tasks); none yet when it has no next tasks. */
  readonly line: string | undefined;
  readonly records: number;
  /** Its record keys, for `merge`. */
  readonly keys: readonly string[] | undefined;
};

/** The pages file's lines are written in batches of about this many characters (and at a deferral). */
const pagesBatchBytes = 65_536;

/** A line's characters but its key's, when it has no next tasks. */
const noTasksLineChars = keptPageLine({ key: '', nextTasks: [] }).length;

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The name the pages file's partials are made from: `.NAME.pages.PID-START.RANDOM.partial`. */
function pagesFileOf(path: string): string {
  return join(dirname(path), `${basename(path)}.pages`);
}
