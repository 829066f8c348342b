import { InvalidOptionError } from '@capital/core';
import type { KafkaSinkOptions, KafkaTopicSettings } from './kafka-sink-options.js';
import { parseBrokers } from './kafka-sink-options.js';

/** The options a `kafka://` URL can carry: everything but the record key and the connector. */
export type KafkaSinkTarget = Pick<
  KafkaSinkOptions<unknown>,
  'brokers' | 'topic' | 'createTopic' | 'exactlyOnce' | 'transactionalId' | 'checkpointTopic' | 'clientId'
>;

const integerParams = ['partitions', 'replicas'] as const;
const stringParams = ['transactionalId', 'checkpointTopic', 'clientId'] as const;
const booleanParams = ['exactlyOnce', 'createTopic'] as const;
const known = new Set<string>([...integerParams, ...stringParams, ...booleanParams]);

/**
 * Reads the CLI's `--sink kafka://HOST:PORT[,HOST:PORT…]/TOPIC[?…]`. Without hosts
 * (`kafka:///TOPIC`) the brokers come from `KAFKA_BROKERS`, as `KafkaSink` does by default.
 * Query parameters set options: `partitions`, `replicas` (of a topic the sink creates),
 * `createTopic=false`, `exactlyOnce=false`, `transactionalId`, `checkpointTopic`, `clientId`.
 * The options are checked when the sink is created.
 *
 * @throws {InvalidOptionError} (option `sink`) for another scheme, credentials in the URL (not
 * supported, and never echoed), a missing topic, an unknown parameter or a bad value.
 * @example parseKafkaSinkUrl('kafka://127.0.0.1:39092/wtd?partitions=3') // { brokers: ['127.0.0.1:39092'], topic: 'wtd', createTopic: { partitions: 3 } }
 */
export function parseKafkaSinkUrl(url: string): KafkaSinkTarget {
  const match = /^kafka:\/\/([^/?#]*)\/([^/?#]+)(?:\?([^#]*))?$/.exec(url);
  if (url.startsWith('kafka://') && /^kafka:\/\/[^/?#]*@/.test(url)) {
    throw new InvalidOptionError('sink', 'kafka:// URLs cannot carry credentials.');
  }
  if (!match)
    throw new InvalidOptionError('sink', `expected kafka://HOST:PORT/TOPIC, got ${JSON.stringify(url)}.`);
  const [, hosts = '', topic = '', query = ''] = match;
  const params = new URLSearchParams(query);
  for (const name of params.keys()) {
    if (!known.has(name))
      throw new InvalidOptionError('sink', `unknown kafka:// parameter ${JSON.stringify(name)}.`);
  }
  const settings: { -readonly [K in keyof KafkaTopicSettings]: KafkaTopicSettings[K] } = {};
  for (const name of integerParams) {
    const value = params.get(name);
    if (value === null) continue;
    if (!/^\d+$/.test(value))
      throw new InvalidOptionError('sink', `${name} must be a whole number, got ${value}.`);
    settings[name] = Number(value);
  }
  const flags: { exactlyOnce?: boolean; createTopic?: boolean } = {};
  for (const name of booleanParams) {
    const value = params.get(name);
    if (value === null) continue;
    if (value !== 'true' && value !== 'false') {
      throw new InvalidOptionError('sink', `${name} must be true or false, got ${value}.`);
    }
    flags[name] = value === 'true';
  }
  const strings: { transactionalId?: string; checkpointTopic?: string; clientId?: string } = {};
  for (const name of stringParams) {
    const value = params.get(name);
    if (value !== null) strings[name] = value;
  }
  return {
    ...(hosts === '' ? {} : { brokers: parseBrokers(hosts) }),
    topic: decodeURIComponent(topic),
    ...(flags.createTopic === false ? { createTopic: false as const } : { createTopic: settings }),
    ...(flags.exactlyOnce === undefined ? {} : { exactlyOnce: flags.exactlyOnce }),
    ...strings,
  };
}
