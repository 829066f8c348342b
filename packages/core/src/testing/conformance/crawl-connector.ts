import { concatMap, from, lastValueFrom, map } from 'rxjs';
import type { Checkpoint } from '../../checkpoint.js';
import type { Connector } from '../../connector.js';
import type { LimiterKey } from '../../limit/limiter-layers.js';
import type { RateLimiter } from '../../limit/rate-limiter.js';
import type { LogFields, Logger } from '../../logger.js';
import { crawl } from '../../operators/crawl.js';
import type { CrawlEvent } from '../../operators/crawl-event.js';
import type { RetryOptions } from '../../retry/retry-policy.js';
import type { Task } from '../../task.js';
import type { MemoryCheckpointSink } from '../memory-checkpoint-sink.js';

/** One crawl of a connector into a checkpointing sink, as a conformance check runs it. */
export type ConformanceCrawl<T extends Task, D> = {
  readonly connector: Connector<T, D>;
  readonly params: Readonly<Record<string, string>>;
  readonly baseUrl: string;
  /** The token every credential reference resolves to. */
  readonly token: string;
  readonly sink: MemoryCheckpointSink<D>;
  readonly concurrency: number;
  /** The client's limiter, whose key a 429 pauses for every task; none by default. */
  readonly limiter?: RateLimiter | undefined;
  readonly limiterKey?: ((task: T) => LimiterKey) | undefined;
  readonly retry: RetryOptions | false;
  /** Skip the pages the sink holds already, as a resumed run does. */
  readonly resume: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly logger: Logger;
  readonly onEvent?: ((event: CrawlEvent) => void) | undefined;
  /** Called once a page is durable in the sink, with how many pages this run has written. */
  readonly afterWrite?: ((written: number) => void) | undefined;
  /** Called before each write, with how many pages this run has written; a throw fails the write. */
  readonly beforeWrite?: ((written: number) => void) | undefined;
};

/**
 * Crawls a connector from its seeds into the sink, acknowledging each page once stored, as
 * `runConnector` does with a real sink (without the CLI, so core's kit needs no other package).
 *
 * @returns Once every page is stored; rejects with the crawl's error otherwise.
 */
export async function crawlConnector<T extends Task, D>(run: ConformanceCrawl<T, D>): Promise<void> {
  const handler = run.connector.createHandler({
    baseUrl: run.baseUrl,
    resolveCredential: () => run.token,
    logger: run.logger,
  });
  let written = 0;
  const pages$ = from(run.connector.seeds(run.params)).pipe(
    crawl<T, D>(handler, {
      concurrency: run.concurrency,
      buffer: run.concurrency * 2,
      retry: run.retry,
      logger: run.logger,
      // The sink gives back the next tasks this connector's pages recorded, so they are its tasks.
      ...(run.resume ? { checkpoint: run.sink.checkpoint as Checkpoint<T> } : {}),
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.limiter ? { limiter: run.limiter } : {}),
      ...(run.limiterKey ? { limiterKey: run.limiterKey } : {}),
      ...(run.onEvent ? { onEvent: run.onEvent } : {}),
    }),
    concatMap((page) => {
      run.beforeWrite?.(written);
      return from(run.sink.write(page)).pipe(
        map(() => {
          written += 1;
          page.ack();
          run.afterWrite?.(written);
        }),
      );
    }),
  );
  await lastValueFrom(pages$, { defaultValue: undefined });
}

/** A logger that keeps every line, message and fields, so a check can search them for a token. */
export function capturingLogger(): { readonly logger: Logger; readonly lines: string[] } {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push(`${level} ${message} ${fields === undefined ? '' : safeJson(fields)}`);
    };
  return {
    lines,
    logger: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, field: unknown) =>
      field instanceof Error ? { name: field.name, message: field.message, stack: field.stack } : field,
    );
  } catch {
    return String(value);
  }
}
