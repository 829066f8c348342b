import { describe, expect, it } from 'vitest';
import { parseKafkaSinkUrl } from './parse-kafka-sink-url.js';

describe('parseKafkaSinkUrl', () => {
  it('reads the brokers and the topic', () => {
    expect(parseKafkaSinkUrl('kafka://127.0.0.1:39092,[::1]:9093/wtd.listings')).toEqual({
      brokers: ['127.0.0.1:39092', '[::1]:9093'],
      topic: 'wtd.listings',
      createTopic: {},
    });
  });

  it('leaves the brokers to KAFKA_BROKERS when the URL names none', () => {
    expect(parseKafkaSinkUrl('kafka:///wtd')).toEqual({ topic: 'wtd', createTopic: {} });
  });

  it('reads options from the query', () => {
    expect(
      parseKafkaSinkUrl(
        'kafka://k:9092/wtd?partitions=3&replicas=2&exactlyOnce=false&transactionalId=worker-1',
      ),
    ).toEqual({
      brokers: ['k:9092'],
      topic: 'wtd',
      createTopic: { partitions: 3, replicas: 2 },
      exactlyOnce: false,
      transactionalId: 'worker-1',
    });
    expect(parseKafkaSinkUrl('kafka://k:9092/wtd?createTopic=false')).toMatchObject({ createTopic: false });
  });

  it.each([
    ['another scheme', 'file:out.ndjson'],
    ['no topic', 'kafka://k:9092/'],
    ['a broker without a port', 'kafka://k/wtd'],
    ['an unknown parameter', 'kafka://k:9092/wtd?acks=1'],
    ['a bad number', 'kafka://k:9092/wtd?partitions=three'],
    ['a bad boolean', 'kafka://k:9092/wtd?exactlyOnce=yes'],
  ])('rejects %s', (_, url) => {
    expect(() => parseKafkaSinkUrl(url)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('rejects credentials without echoing them', () => {
    expect(() => parseKafkaSinkUrl('kafka://user:s3cret@k:9092/wtd')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });
});
