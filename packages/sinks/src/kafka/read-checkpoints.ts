import type { Consumer, RecordsBatch } from '@platformatic/kafka';
import { KafkaSinkError } from './kafka-errors.js';
import type { CheckpointEntry as Entry } from './kafka-runs.js';

// Kafka's control record key: int16 version, then int16 type (0 abort, 1 commit).
const commitMarker = 1;
const fetchBytes = 8 * 1024 * 1024;

/**
 * Reads a checkpoint topic from its start to its end and hands its committed messages to
 * `apply`, in order: the runs and stored pages, as a resumed run must see them. A later message
 * for a key replaces an earlier one, and a tombstone (no value) forgets it.
 *
 * It fetches `read_uncommitted` and resolves transactions itself, holding each producer's
 * transactional messages until its commit or abort marker: the client's own `read_committed`
 * filter keeps only the last aborted range of each producer id, and every run of one sink
 * shares a producer id, so several aborted runs would leak aborted checkpoints. Messages of a
 * transaction still open at the end (another sink's write in flight) are left out.
 *
 * @throws {KafkaSinkError} `KAFKA_SETUP_FAILED` when the topic is missing or a fetch fails;
 * whatever `apply` throws.
 * @example await readCheckpoints(consumer, 'wtd.capital-checkpoints', 'wtd', (entry) => book.apply(entry))
 */
export async function readCheckpoints(
  consumer: Consumer,
  checkpointTopic: string,
  topic: string,
  apply: (entry: Entry) => void,
): Promise<void> {
  // Imported when used: see createKafkaClients for why not at the top.
  const { IS_CONTROL, IS_TRANSACTIONAL, ListOffsetTimestamps } = await import('@platformatic/kafka');
  const flags = { control: IS_CONTROL, transactional: IS_TRANSACTIONAL };
  const metadata = await consumer.metadata({ topics: [checkpointTopic] });
  const info = metadata.topics.get(checkpointTopic);
  if (!info)
    throw new KafkaSinkError(topic, `The checkpoint topic ${checkpointTopic} does not exist.`, {
      code: 'KAFKA_SETUP_FAILED',
    });
  const [starts, ends] = await Promise.all(
    [ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST].map((timestamp) =>
      consumer.listOffsets({ topics: [checkpointTopic], timestamp, isolationLevel: 0 }),
    ),
  );
  for (let partition = 0; partition < info.partitionsCount; partition += 1) {
    const leader = info.partitions[partition]?.leader;
    let offset = starts?.get(checkpointTopic)?.[partition] ?? 0n;
    const end = ends?.get(checkpointTopic)?.[partition] ?? 0n;
    const pending = new Map<bigint, Entry[]>();
    while (offset < end && leader !== undefined) {
      const response = await consumer.fetch({
        node: leader,
        isolationLevel: 0,
        maxWaitTime: 0,
        maxBytes: fetchBytes,
        topics: [
          {
            topicId: info.id,
            partitions: [
              {
                partition,
                fetchOffset: offset,
                partitionMaxBytes: fetchBytes,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              },
            ],
          },
        ],
      });
      const answer = response.responses[0]?.partitions[0];
      if (answer && answer.errorCode !== 0) {
        throw new KafkaSinkError(
          topic,
          `Reading ${checkpointTopic} failed with Kafka error ${answer.errorCode}.`,
          {
            code: 'KAFKA_SETUP_FAILED',
          },
        );
      }
      const batches = answer?.records ?? [];
      const before = offset;
      for (const batch of batches) {
        const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        // The broker answers whole batches, so the first may end before the offset asked for.
        if (next <= offset) continue;
        readBatch(batch, pending, apply, flags);
        offset = next;
      }
      // Nothing past the offset although the end is further: compaction emptied the rest.
      if (offset === before) break;
    }
  }
}

function readBatch(
  batch: RecordsBatch,
  pending: Map<bigint, Entry[]>,
  apply: (entry: Entry) => void,
  flags: { readonly control: number; readonly transactional: number },
): void {
  if (batch.attributes & flags.control) {
    const held = pending.get(batch.producerId) ?? [];
    pending.delete(batch.producerId);
    if (batch.records[0]?.key?.readInt16BE(2) === commitMarker) held.forEach(apply);
    return;
  }
  const entries = batch.records.flatMap((record) =>
    record.key === null ? [] : [{ key: record.key.toString(), value: record.value }],
  );
  if (batch.attributes & flags.transactional) {
    const held = pending.get(batch.producerId);
    if (held) held.push(...entries);
    else pending.set(batch.producerId, entries);
  } else {
    entries.forEach(apply);
  }
}
