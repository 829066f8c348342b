import { describe, expect, it } from 'vitest';
import { resolveKafkaSinkOptions } from './kafka-sink-options.js';

describe('the Kafka sink and write dispositions', () => {
  it('refuses replace, saying why a topic cannot be swapped and what to do instead', () => {
    const attempt = () =>
      resolveKafkaSinkOptions({ brokers: '127.0.0.1:9092', topic: 'wtd', disposition: 'replace' });

    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(attempt).toThrow(/replace is not supported by the Kafka sink.*new topic/);
  });

  it('takes merge (the default) and append', () => {
    expect(resolveKafkaSinkOptions({ brokers: '127.0.0.1:9092', topic: 'wtd' }).disposition).toBe('merge');
    expect(
      resolveKafkaSinkOptions({ brokers: '127.0.0.1:9092', topic: 'wtd', disposition: 'append' }).disposition,
    ).toBe('append');
  });
});
