import { type Connector, isCapitalError, type Task, type WriteDisposition } from '@capital/core';
import {
  FileSink,
  KafkaSink,
  type KafkaSinkTarget,
  PostgresSink,
  type PostgresSinkUrl,
  parseKafkaSinkUrl,
  parsePostgresSinkUrl,
  redactUrl,
  type Sink,
} from '@capital/sinks';
import { CliUsageError } from './cli-error.js';

/** Where `--sink` (or `--out`) says the pages go. */
export type SinkTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'postgres'; readonly display: string; readonly options: PostgresSinkUrl | undefined }
  | { readonly kind: 'kafka'; readonly display: string; readonly options: KafkaSinkTarget };

/**
 * Reads `--sink`: `file:PATH`; `postgres://USER@HOST:PORT/DB?schema=S&table=T` (or `postgres`
 * alone, to connect with the `PG*` environment variables); `kafka://HOST:PORT/TOPIC` (or
 * `kafka:///TOPIC`, with the brokers from `KAFKA_BROKERS`).
 *
 * @throws {CliUsageError} for anything else; the message never shows a password.
 */
export function parseSinkFlag(text: string): SinkTarget {
  try {
    if (text.startsWith('file:')) {
      const path = text.slice('file:'.length);
      if (path === '') throw new CliUsageError('--sink file:PATH needs a path.');
      return { kind: 'file', path };
    }
    if (text === 'postgres' || text === 'postgres:' || text === 'postgresql:') {
      return { kind: 'postgres', display: 'postgres (PG* environment)', options: undefined };
    }
    if (/^postgres(ql)?:\/\//.test(text)) {
      return { kind: 'postgres', display: redactUrl(text), options: parsePostgresSinkUrl(text) };
    }
    if (text.startsWith('kafka://'))
      return { kind: 'kafka', display: text, options: parseKafkaSinkUrl(text) };
  } catch (error) {
    if (isCapitalError(error) && error.code === 'INVALID_OPTION') throw new CliUsageError(error.message);
    throw error;
  }
  throw new CliUsageError(
    `--sink takes file:PATH, postgres://USER@HOST:PORT/DB or kafka://HOST:PORT/TOPIC, got "${redactUrl(text)}".`,
  );
}

/** How a target is shown in messages: a path, or a URL without its password. */
export function describeSinkTarget(target: SinkTarget): string {
  return target.kind === 'file' ? target.path : target.display;
}

/** Extra flags some sinks take. */
export type OpenSinkOptions = {
  /** `--table`: the PostgreSQL table, over the URL's `?table=`. */
  readonly table?: string | undefined;
  /** The first seed, whose `type` names the PostgreSQL table by default (`wtd_stock_search`). */
  readonly seed?: Task | undefined;
  /**
   * Names this process among several writing the same sink at once (workers). Kafka needs it:
   * one transactional id per writer, or each new writer fences the others off. A single
   * `capital run` leaves it out, so its re-run fences off a crashed run's open transaction.
   */
  readonly instance?: string | undefined;
  /** `--sink-retry-budget`: how long the PostgreSQL sink retries a transient failure, in ms. */
  readonly retryBudgetMs?: number | undefined;
  /** The job the runs belong to (`jobName`). */
  readonly job?: string | undefined;
  /** `--write`. @default 'merge' */
  readonly disposition?: WriteDisposition | undefined;
};

/** Opens the sink a target names, with the connector's record key travelling with every record. */
export function openSink<T extends Task, D>(
  target: SinkTarget,
  connector: Connector<T, D>,
  options: OpenSinkOptions = {},
): Sink<D> {
  const recordKey = (record: D): string => connector.recordKey(record);
  const runOptions = {
    ...(options.job === undefined ? {} : { job: options.job }),
    ...(options.disposition === undefined ? {} : { disposition: options.disposition }),
  };
  try {
    switch (target.kind) {
      case 'file':
        return new FileSink<D>({ path: target.path, recordKey, ...runOptions });
      case 'postgres': {
        const type = options.seed?.type;
        return new PostgresSink<D>({
          ...target.options,
          ...(options.table === undefined ? {} : { table: options.table }),
          ...(options.retryBudgetMs === undefined ? {} : { retryBudgetMs: options.retryBudgetMs }),
          stream: typeof type === 'string' ? type : connector.name,
          connector: connector.name,
          recordKey,
          ...runOptions,
        });
      }
      case 'kafka': {
        const { transactionalId, topic } = target.options;
        const instanceId =
          options.instance === undefined ? undefined : `capital.${topic}.${options.instance}`;
        return new KafkaSink<D>({
          ...target.options,
          ...(transactionalId === undefined && instanceId !== undefined
            ? { transactionalId: instanceId }
            : {}),
          connector: connector.name,
          recordKey,
          ...runOptions,
        });
      }
    }
  } catch (error) {
    if (isCapitalError(error) && error.code === 'INVALID_OPTION') throw new CliUsageError(error.message);
    throw error;
  }
}
