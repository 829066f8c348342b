import type { Connection, Submittable } from 'pg';

/** CopyDone: 'c', then the message's length (4, itself). */
const copyDone = Buffer.from([0x63, 0, 0, 0, 4]);

/**
 * While pieces are still being encoded, what is ready is sent before waiting for the next one
 * once it reaches this many bytes (the first piece at once, so that the server starts): a few
 * dozen writes for the first batch of a run rather than one a page.
 */
const streamedChunkBytes = 64 * 1024;

/** A piece of a COPY's data: ready, or still being encoded (see {@link PipelinedCopy}). */
export type CopyPiece = Buffer | Promise<Buffer>;

/**
 * A simple query holding one `COPY … FROM STDIN`, sent together with all its data: the query,
 * one CopyData message and CopyDone leave in one go, without waiting for the server's
 * CopyInResponse as a COPY stream does. That saves a round trip per batch — a wake-up of each
 * side, which on a busy machine costs more than the work — and the server reads the data as soon
 * as the COPY starts. Should the query fail before (or during) the COPY, the server drops the
 * CopyData and CopyDone that follow, as the protocol says for a client still sending after a
 * COPY failed (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY).
 *
 * Pieces still being encoded (promises) are streamed: the query leaves at once, and the data
 * follows, in order, as it is ready, so the server copies the first pages while the client
 * encodes the last. A piece that fails ends the COPY with CopyFail, so nothing of the query is
 * done, and `done` rejects with that piece's error.
 *
 * pg runs it as any query (`client.query(copy)`), one at a time per connection; `done` settles
 * at the server's ReadyForQuery, or with the server's error (a pg `DatabaseError`, with its
 * `code` and `where`).
 *
 * @example
 * const copy = new PipelinedCopy('BEGIN; COPY t (a) FROM STDIN; INSERT INTO u …', [Buffer.from('1\n2\n')]);
 * client.query(copy);
 * await copy.done;
 */
export class PipelinedCopy implements Submittable {
  /** Settles once the server has run the whole query, or with its error. */
  readonly done: Promise<void>;
  readonly #text: string;
  readonly #data: readonly CopyPiece[];
  /** Whether the server has answered the query (ReadyForQuery or an error): nothing more is sent. */
  #answered = false;
  /** The error of a piece that failed, which `done` rejects with rather than the server's. */
  #failedPiece: { readonly error: unknown } | undefined;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;

  /** @param data - The COPY's data, in pieces (each page's, encoded as it arrived). */
  constructor(text: string, data: readonly CopyPiece[]) {
    this.#text = text;
    this.#data = data;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  submit(connection: Connection): void {
    if (this.#data.every((piece) => Buffer.isBuffer(piece))) {
      // Corked: the query and the pieces leave in as few writes (one writev) as the socket takes.
      const { stream } = connection;
      stream.cork();
      connection.query(this.#text);
      writeCopyData(connection, this.#data as readonly Buffer[]);
      stream.write(copyDone);
      stream.uncork();
      return;
    }
    connection.query(this.#text);
    void this.#stream(connection);
  }

  /** Sends the pieces as they are ready, then CopyDone; or CopyFail when one fails. */
  async #stream(connection: Connection): Promise<void> {
    let ready: Buffer[] = [];
    let bytes = 0;
    let sent = false;
    for (const piece of this.#data) {
      let bytesOfPiece: Buffer;
      if (!Buffer.isBuffer(piece) && bytes > 0 && (!sent || bytes >= streamedChunkBytes)) {
        // About to wait: what is ready goes now, so that the server works meanwhile.
        writeCopyData(connection, ready);
        ready = [];
        bytes = 0;
        sent = true;
      }
      try {
        bytesOfPiece = Buffer.isBuffer(piece) ? piece : await piece;
      } catch (error) {
        if (this.#answered) return;
        this.#failedPiece = { error };
        connection.stream.write(copyFail);
        return;
      }
      if (this.#answered) return;
      ready.push(bytesOfPiece);
      bytes += bytesOfPiece.length;
    }
    const { stream } = connection;
    stream.cork();
    writeCopyData(connection, ready);
    stream.write(copyDone);
    stream.uncork();
  }

  /** The data went with the query, or follows it: nothing to do when the server asks for it. */
  handleCopyInResponse(): void {}
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}

  /** pg's last call after an error: it sends no ReadyForQuery to this query. */
  handleError(error: unknown): void {
    this.#answered = true;
    const reported = this.#failedPiece === undefined ? error : this.#failedPiece.error;
    this.callback(reported);
    this.#reject(reported);
  }

  handleReadyForQuery(): void {
    this.#answered = true;
    this.callback();
    this.#resolve();
  }

  /**
   * Called when the query ends. pg wraps it when a `query_timeout` is set, to clear its timer;
   * `done` is what tells the caller.
   */
  callback: (error?: unknown) => void = () => {};
}

/** CopyFail: 'f', its length, and a message the server puts in its error. */
const copyFail = (() => {
  const message = Buffer.from('a page of the batch could not be encoded\0', 'utf8');
  const header = Buffer.allocUnsafe(5);
  header.writeUInt8(0x66, 0);
  header.writeUInt32BE(message.length + 4, 1);
  return Buffer.concat([header, message]);
})();

/** `pieces` as one CopyData message, corked so that it leaves in one write; none when empty. */
function writeCopyData(connection: Connection, pieces: readonly Buffer[]): void {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  if (length === 0) return;
  const header = Buffer.allocUnsafe(5);
  header.writeUInt8(0x64, 0); // 'd': CopyData
  header.writeUInt32BE(length + 4, 1);
  const { stream } = connection;
  stream.cork();
  stream.write(header);
  for (const piece of adjacentJoined(pieces)) stream.write(piece);
  stream.uncork();
}

/**
 * The pieces, with those that follow one another in one slab (`TextSlab`: pages encoded one
 * after the other) joined into one view: fewer writes for the socket to gather.
 */
function adjacentJoined(pieces: readonly Buffer[]): Buffer[] {
  const joined: Buffer[] = [];
  let last: Buffer | undefined;
  for (const piece of pieces) {
    if (
      last !== undefined &&
      last.buffer === piece.buffer &&
      last.byteOffset + last.length === piece.byteOffset
    ) {
      last = Buffer.from(last.buffer, last.byteOffset, last.length + piece.length);
      joined[joined.length - 1] = last;
    } else {
      last = piece;
      joined.push(piece);
    }
  }
  return joined;
}
