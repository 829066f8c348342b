import type { MessageToProduce } from '@platformatic/kafka';
import { pageProvenance } from '../provenance.js';
import type { RecordKey, SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';

/** A message as the sink hands it to the producer: every part already bytes. */
export type KafkaMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** What {@link pageMessages} needs to know besides the page. */
export type PageMessagesConfig<D> = {
  readonly topic: string;
  readonly checkpointTopic: string;
  readonly recordKey: RecordKey<D> | undefined;
  readonly connector: string | undefined;
  readonly maxBatchBytes: number;
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
 * Turns a page into the messages that store it, split into produce requests of at most
 * `maxBatchBytes`: one message per record (key: the record key; value: the record's JSON;
 * headers: `_task_key`, `_page`, `_fetched_at`, `_connector`), then the checkpoint message
 * (key: the task key; value: the next tasks' JSON) at the end of the last request.
 *
 * Every record is serialised before anything is sent, so a page with one bad record sends nothing.
 *
 * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` when `JSON.stringify` throws or gives nothing
 * for a record; `RECORD_KEY_INVALID` when `recordKey` throws or does not return a string.
 * @example pageMessages(page, { topic: 'wtd', checkpointTopic: 'wtd.capital-checkpoints', recordKey, connector: 'wtd', maxBatchBytes: 1e6 })
 */
export function pageMessages<D>(page: SinkPage<D>, config: PageMessagesConfig<D>): KafkaMessage[][] {
  const headers = pageHeaders(page, config.connector);
  const headerBytes = [...headers].reduce((sum, [key, value]) => sum + key.length + value.length, 0);
  const batches: KafkaMessage[][] = [];
  let batch: KafkaMessage[] = [];
  let batchBytes = 0;
  const push = (message: KafkaMessage, bytes: number): void => {
    if (batch.length > 0 && batchBytes + bytes > config.maxBatchBytes) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(message);
    batchBytes += bytes;
  };
  page.data.forEach((record, index) => {
    const value = Buffer.from(recordJson(page, record, index));
    const key = config.recordKey
      ? Buffer.from(recordKeyOf(page, config.recordKey, record, index))
      : undefined;
    push(
      { topic: config.topic, ...(key ? { key } : {}), value, headers },
      value.length + (key?.length ?? 0) + headerBytes + recordOverhead,
    );
  });
  const value = Buffer.from(JSON.stringify(page.nextTasks));
  const key = Buffer.from(page.key);
  push(
    { topic: config.checkpointTopic, key, value, headers },
    value.length + key.length + headerBytes + recordOverhead,
  );
  batches.push(batch);
  return batches;
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
