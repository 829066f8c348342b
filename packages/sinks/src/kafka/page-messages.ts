import type { MessageToProduce } from '@platformatic/kafka';
import { pageProvenance } from '../provenance.js';
import type { RecordKey, SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { pageKey } from './kafka-runs.js';

/** A message as the sink hands it to the producer: every part already bytes. */
export type KafkaMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** What {@link pageMessages} needs to know besides the page. */
export type PageMessagesConfig<D> = {
  readonly topic: string;
  readonly checkpointTopic: string;
  readonly recordKey: RecordKey<D> | undefined;
  readonly connector: string | undefined;
  /** The most bytes of a produce request: a record larger than this cannot be sent. */
  readonly maxBatchBytes: number;
};

/** A page's messages, its checkpoint last, with what each costs in a produce request. */
export type PageMessages = {
  readonly messages: readonly KafkaMessage[];
  /** An upper bound of each message's bytes in a record batch. */
  readonly bytes: readonly number[];
};

// What a record costs in a v2 record batch beyond its key, value and headers (length, attributes,
// deltas, counts: varints of at most 5 bytes each), rounded up so the estimate stays an upper bound.
const recordOverhead = 32;
const header = {
  taskKey: Buffer.from('_task_key'),
  fetchedAt: Buffer.from('_fetched_at'),
  page: Buffer.from('_page'),
  connector: Buffer.from('_connector'),
};

/**
 * Turns a page into the messages that store it: one message per record (key: the record key;
 * value: the record's JSON; headers: `_task_key`, `_page`, `_fetched_at`, `_connector`), then the
 * checkpoint message (key: `page:<run id>:<task key>`; value: the next tasks' JSON).
 *
 * Every record is serialised and measured before anything is sent, so a page with one bad
 * record sends nothing, and never joins a batch with other pages: a record the broker refused
 * would fail the whole batch, and leave the producer unable to send again.
 *
 * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` when `JSON.stringify` throws or gives nothing
 * for a record; `RECORD_KEY_INVALID` when `recordKey` throws or does not return a string;
 * `RECORD_TOO_LARGE` for a record larger than `maxBatchBytes` with its key and headers.
 * @example pageMessages(page, { topic: 'wtd', checkpointTopic: 'wtd.capital-checkpoints', recordKey, connector: 'wtd', maxBatchBytes: 1e6 }, '0a1b2c3d')
 */
export function pageMessages<D>(
  page: SinkPage<D>,
  config: PageMessagesConfig<D>,
  runId: string,
): PageMessages {
  const headers = pageHeaders(page, config.connector);
  const headerBytes = [...headers].reduce((sum, [key, value]) => sum + key.length + value.length, 0);
  const messages: KafkaMessage[] = [];
  const bytes: number[] = [];
  page.data.forEach((record, index) => {
    const value = Buffer.from(recordJson(page, record, index));
    const key = config.recordKey
      ? Buffer.from(recordKeyOf(page, config.recordKey, record, index))
      : undefined;
    const size = value.length + (key?.length ?? 0) + headerBytes + recordOverhead;
    if (size > config.maxBatchBytes) {
      throw new SinkWriteError(
        page,
        `record ${index} takes ${size} bytes with its key and headers, more than maxBatchBytes (${config.maxBatchBytes}).`,
        { code: 'RECORD_TOO_LARGE' },
      );
    }
    messages.push({ topic: config.topic, ...(key ? { key } : {}), value, headers });
    bytes.push(size);
  });
  const value = Buffer.from(JSON.stringify(page.nextTasks));
  const key = Buffer.from(pageKey(runId, page.key));
  messages.push({ topic: config.checkpointTopic, key, value, headers });
  bytes.push(value.length + key.length + headerBytes + recordOverhead);
  return { messages, bytes };
}

/**
 * The produce requests that send a batch of pages: their messages in order, cut so that no
 * request exceeds `maxBatchBytes` (nor, then, the broker's `message.max.bytes`). Small pages
 * share a request; a page larger than the bound spans several.
 *
 * @example produceRequests([pageMessages(a, config), pageMessages(b, config)], 1_000_000) // one request
 */
export function produceRequests(pages: readonly PageMessages[], maxBatchBytes: number): KafkaMessage[][] {
  const requests: KafkaMessage[][] = [];
  let request: KafkaMessage[] = [];
  let requestBytes = 0;
  for (const { messages, bytes } of pages) {
    messages.forEach((message, index) => {
      const size = bytes[index] ?? 0;
      if (request.length > 0 && requestBytes + size > maxBatchBytes) {
        requests.push(request);
        request = [];
        requestBytes = 0;
      }
      request.push(message);
      requestBytes += size;
    });
  }
  if (request.length > 0) requests.push(request);
  return requests;
}

/** The provenance headers, built once per page and shared by its messages (the client only reads them). */
function pageHeaders(page: SinkPage, connector: string | undefined): Map<Buffer, Buffer> {
  const provenance = pageProvenance(page);
  const headers = new Map<Buffer, Buffer>([
    [header.taskKey, Buffer.from(provenance._task_key)],
    [header.fetchedAt, Buffer.from(provenance._fetched_at)],
  ]);
  if (provenance._page !== null) headers.set(header.page, Buffer.from(String(provenance._page)));
  const name = connector ?? (typeof page.task.type === 'string' ? page.task.type : undefined);
  if (name !== undefined) headers.set(header.connector, Buffer.from(name));
  return headers;
}

function recordJson(page: SinkPage, record: unknown, index: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (error) {
    throw notSerialisable(page, index, (error as Error).message, error);
  }
  // `JSON.stringify` returns undefined, without throwing, for undefined, functions and symbols.
  if (json === undefined) throw notSerialisable(page, index, `it is ${typeof record}, not JSON.`, undefined);
  return json;
}

function recordKeyOf<D>(page: SinkPage, recordKey: RecordKey<D>, record: D, index: number): string {
  let key: unknown;
  try {
    key = recordKey(record);
  } catch (error) {
    throw invalidKey(page, index, (error as Error).message, error);
  }
  if (typeof key !== 'string')
    throw invalidKey(page, index, `recordKey returned ${typeof key}, not a string.`, undefined);
  return key;
}

function notSerialisable(page: SinkPage, index: number, problem: string, cause: unknown): SinkWriteError {
  return new SinkWriteError(page, `record ${index} cannot be serialised as JSON: ${problem}`, {
    code: 'RECORD_NOT_SERIALISABLE',
    cause,
  });
}

function invalidKey(page: SinkPage, index: number, problem: string, cause: unknown): SinkWriteError {
  return new SinkWriteError(page, `record ${index} has no usable record key: ${problem}`, {
    code: 'RECORD_KEY_INVALID',
    cause,
  });
}
