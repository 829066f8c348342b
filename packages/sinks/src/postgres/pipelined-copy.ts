import type { Connection, Submittable } from 'pg';

/** CopyDone: 'c', then the message's length (4, itself). */
const copyDone = Buffer.from([0x63, 0, 0, 0, 4]);

/**
 * A simple query holding one `COPY … FROM STDIN`, sent together with all its data: the query,
 * one CopyData message and CopyDone leave in one go, without waiting for the server's
 * CopyInResponse as a COPY stream does. That saves a round trip per batch — a wake-up of each
 * side, which on a busy machine costs more than the work — and the server reads the data as soon
 * as the COPY starts. Should the query fail before (or during) the COPY, the server drops the
 * CopyData and CopyDone that follow, as the protocol says for a client still sending after a
 * COPY failed (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY).
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
  readonly #data: readonly Buffer[];
  #resolve!: () => void;
  #reject!: (error: unknown) => void;

  /** @param data - The COPY's data, in pieces (each page's, encoded as it arrived): sent as one CopyData message. */
  constructor(text: string, data: readonly Buffer[]) {
    this.#text = text;
    this.#data = data;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  submit(connection: Connection): void {
    let length = 0;
    for (const piece of this.#data) length += piece.length;
    const header = Buffer.allocUnsafe(5);
    header.writeUInt8(0x64, 0); // 'd': CopyData
    header.writeUInt32BE(length + 4, 1);
    // Corked: the query and the pieces leave in as few writes (one writev) as the socket takes.
    const { stream } = connection;
    stream.cork();
    connection.query(this.#text);
    stream.write(header);
    for (const piece of adjacentJoined(this.#data)) stream.write(piece);
    stream.write(copyDone);
    stream.uncork();
  }

  /** The data went with the query: nothing left to send. */
  handleCopyInResponse(): void {}
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}

  /** pg's last call after an error: it sends no ReadyForQuery to this query. */
  handleError(error: unknown): void {
    this.callback(error);
    this.#reject(error);
  }

  handleReadyForQuery(): void {
    this.callback();
    this.#resolve();
  }

  /**
   * Called when the query ends. pg wraps it when a `query_timeout` is set, to clear its timer;
   * `done` is what tells the caller.
   */
  callback: (error?: unknown) => void = () => {};
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
