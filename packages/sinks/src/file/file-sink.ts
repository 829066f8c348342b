import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { provenanceLines } from '../provenance.js';
import type { PageReceipt, RecordKey, Sink, SinkPage, SinkSummary } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { partialPathFor, removeStalePartials } from './stale-partials.js';

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
 * @example
 * const sink = new FileSink({ path: 'data/wtd.ndjson', recordKey: (l) => l.symbol });
 * await lastValueFrom(seeds$.pipe(crawl(handler), writeTo(sink)), { defaultValue: undefined });
 * await sink.close();
 */
export class FileSink<D = unknown> implements Sink<D> {
  readonly path: string;
  readonly temporaryPath: string;
  readonly #options: FileSinkOptions<D>;
  #stream: Promise<WriteStream> | undefined;
  #pages = 0;
  #records = 0;
  #state: 'open' | 'closed' | 'aborted' = 'open';

  constructor(options: FileSinkOptions<D>) {
    this.#options = options;
    this.path = resolve(options.path);
    this.temporaryPath = partialPathFor(this.path);
  }

  async write(page: SinkPage<D>): Promise<PageReceipt> {
    if (this.#state !== 'open') throw new SinkWriteError(page, `the file sink is ${this.#state}.`);
    const chunk = this.#serialise(page);
    const stream = await this.#open();
    await new Promise<void>((done, fail) => {
      stream.write(chunk, (error) =>
        error ? fail(new SinkWriteError(page, error.message, { cause: error })) : done(),
      );
    });
    this.#pages += 1;
    this.#records += page.data.length;
    return { key: page.key, records: page.data.length };
  }

  async close(): Promise<SinkSummary> {
    if (this.#state !== 'open') throw new Error(`The file sink for ${this.path} is ${this.#state}.`);
    this.#state = 'closed';
    const stream = await this.#open();
    stream.end();
    await finished(stream);
    if (this.#options.fsync ?? true) {
      const handle = await open(this.temporaryPath, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await rename(this.temporaryPath, this.path);
    return { pages: this.#pages, records: this.#records, location: this.path };
  }

  async abort(): Promise<void> {
    if (this.#state !== 'open') return;
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
    await rm(this.temporaryPath, { force: true });
  }

  #open(): Promise<WriteStream> {
    this.#stream ??= mkdir(dirname(this.path), { recursive: true }).then(async () => {
      await removeStalePartials(this.path);
      const stream = createWriteStream(this.temporaryPath, { flags: 'w' });
      // Errors reach the write callbacks and close(); without a listener, a write still in flight
      // when abort() destroys the stream emits ERR_STREAM_DESTROYED and crashes the process.
      stream.on('error', () => {});
      return stream;
    });
    return this.#stream;
  }

  #serialise(page: SinkPage<D>): string {
    return provenanceLines(page, this.#options.recordKey, (index, error) => {
      throw new SinkWriteError(page, `record ${index} cannot be serialised as JSON: ${error.message}`, {
        code: 'RECORD_NOT_SERIALISABLE',
        cause: error,
      });
    });
  }
}
