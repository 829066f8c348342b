import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveKafkaSinkOptions } from './kafka-sink-options.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('resolveKafkaSinkOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveKafkaSinkOptions({ brokers: 'a:1, b:2', topic: 'wtd' })).toMatchObject({
      brokers: ['a:1', 'b:2'],
      clientId: 'capital',
      createTopic: {},
      connectTimeoutMs: 10_000,
      exactlyOnce: true,
      transactionalId: 'capital.wtd',
      checkpointTopic: 'wtd.capital-checkpoints',
      maxBatchBytes: 1_000_000,
      maxPendingWrites: 16,
      compression: 'none',
    });
  });

  it('takes the brokers from KAFKA_BROKERS by default', () => {
    vi.stubEnv('KAFKA_BROKERS', '127.0.0.1:39092');
    expect(resolveKafkaSinkOptions({ topic: 'wtd' }).brokers).toEqual(['127.0.0.1:39092']);
  });

  it('says where to give brokers when there are none', () => {
    vi.stubEnv('KAFKA_BROKERS', '');
    expect(() => resolveKafkaSinkOptions({ topic: 'wtd' })).toThrow(/KAFKA_BROKERS/);
  });

  it.each([
    ['a topic name Kafka refuses', { topic: 'no spaces' }],
    ['a checkpoint topic equal to the topic', { topic: 'wtd', checkpointTopic: 'wtd' }],
    ['a zero timeout', { topic: 'wtd', connectTimeoutMs: 0 }],
    ['zero partitions', { topic: 'wtd', createTopic: { partitions: 0 } }],
    ['no pending writes', { topic: 'wtd', maxPendingWrites: 0 }],
  ])('rejects %s', (_, options) => {
    expect(() => resolveKafkaSinkOptions({ brokers: 'a:1', ...options })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
