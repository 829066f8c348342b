import { CapitalError } from '@capital/core';

/**
 * The Kafka sink could not do something that is not about one page: get ready (create the
 * topics, register the producer, read the checkpoint), or close. Failures of one page are
 * `SinkWriteError`s.
 */
export class KafkaSinkError extends CapitalError {
  /** The data topic of the sink. */
  readonly topic: string;
  constructor(topic: string, message: string, options: { code: string; cause?: unknown }) {
    super(message, options);
    this.topic = topic;
  }
  override name: string = 'KafkaSinkError';
}

/**
 * No broker answered in time: nothing was written. Worth another try later, once the brokers
 * are back; `cause` is the last network error seen, where there was one.
 */
export class KafkaUnavailableError extends KafkaSinkError {
  override readonly retryable = true;
  readonly brokers: readonly string[];
  readonly timeoutMs: number;
  constructor(topic: string, brokers: readonly string[], timeoutMs: number, cause: unknown) {
    const reason = cause === undefined ? '' : `: ${describeKafkaError(cause)}`;
    super(
      topic,
      `Kafka at ${brokers.join(',')} was not ready for topic ${topic} within ${timeoutMs} ms${reason}.`,
      {
        code: 'KAFKA_UNAVAILABLE',
        cause,
      },
    );
    this.brokers = brokers;
    this.timeoutMs = timeoutMs;
  }
  override name = 'KafkaUnavailableError' as const;
}

/**
 * The useful part of a Kafka client error. The client nests them (`metadata failed 3 times` →
 * `Cannot connect to any broker` → `Connection to … failed` → `ECONNREFUSED`): this follows the
 * last error of each level and its causes, and names protocol errors by their Kafka id.
 *
 * @example describeKafkaError(error) // 'Connection to 127.0.0.1:1 failed: connect ECONNREFUSED 127.0.0.1:1'
 */
export function describeKafkaError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth += 1) {
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.length > 0) {
      current = nested[nested.length - 1];
      continue;
    }
    const { apiId, serverErrorMessage } = current as { apiId?: unknown; serverErrorMessage?: unknown };
    const server = typeof serverErrorMessage === 'string' ? `: ${serverErrorMessage}` : '';
    parts.push(typeof apiId === 'string' ? `${current.message} (${apiId}${server})` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.map((part) => part.replace(/\.$/, '')).join(': ') : String(error);
}

/**
 * Whether a Kafka client error, or one nested in it, has `key` set to `value`; e.g.
 * `hasKafkaError(error, 'apiId', 'PRODUCER_FENCED')` or `hasKafkaError(error, 'code', 'PLT_KFK_NETWORK')`.
 */
export function hasKafkaError(error: unknown, key: string, value: unknown): boolean {
  const findBy = (error as { findBy?: (key: string, value: unknown) => unknown } | null)?.findBy;
  return typeof findBy === 'function' && Boolean(findBy.call(error, key, value));
}
