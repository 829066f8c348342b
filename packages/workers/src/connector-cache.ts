import {
  type Connector,
  type ConnectorRuntime,
  createLimiterKeys,
  type Handler,
  type RateLimiter,
  restrictCredentials,
  type Task,
} from '@capital/core';
import type { Sink, SinkSummary } from '@capital/sinks';
import { gateWrites } from './gate-writes.js';
import type { ConnectorEntry } from './run-crawl-job.js';
import { ConnectorUnavailableError } from './worker-errors.js';

/** How a {@link ConnectorCache} makes what it holds. */
export type ConnectorCacheOptions = {
  /** Finds a connector by the name a job carries. */
  readonly load: (name: string) => Promise<Connector>;
  /**
   * The sink of a connector's pages, called once per connector with the first of its tasks that
   * the worker meets (whose `type` may name a table). The same sink may come back for several.
   */
  readonly openSink: (connector: Connector, firstTask: Task) => Sink;
  /** The shared limiter of a connector; `undefined` for none. Called once per connector. */
  readonly openLimiter: (connector: Connector) => RateLimiter | undefined;
  /**
   * Given to every handler, with the base URL of its jobs. Its `resolveCredential` is narrowed
   * per connector to the connector's declared reference and `allowedCredentials`.
   */
  readonly runtime: Omit<ConnectorRuntime, 'baseUrl'>;
  /**
   * Credential references resolved for every connector, besides each one's declared reference.
   * @default []
   */
  readonly allowedCredentials?: readonly string[] | undefined;
  /** The deployment's secret for limiter keys (see `createLimiterKeys`). */
  readonly keySecret?: string | undefined;
};

/**
 * The connectors a worker has met, by name: each is loaded once, with its sink and limiter, and
 * one handler per base URL. A failed load is not remembered, so a later job tries again.
 */
export class ConnectorCache {
  readonly #options: ConnectorCacheOptions;
  readonly #entries = new Map<string, Promise<ConnectorEntry>>();
  /** The sinks opened, each once and gated (see `gateWrites`), in the order opened. */
  readonly #sinks = new Map<Sink, Sink>();
  readonly #limiters = new Set<RateLimiter>();

  constructor(options: ConnectorCacheOptions) {
    this.#options = options;
  }

  /**
   * The entry of the connector called `name`, loading it on first use, for `task`.
   * @throws {ConnectorUnavailableError} when it cannot be loaded, or is called something else.
   */
  get(name: string, task: Task): Promise<ConnectorEntry> {
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      entry = this.#open(name, task);
      this.#entries.set(name, entry);
      entry.catch(() => this.#entries.delete(name));
    }
    return entry;
  }

  /** The entry of a connector this worker loaded (or is loading), else `undefined`. */
  loaded(name: string): Promise<ConnectorEntry> | undefined {
    return this.#entries.get(name);
  }

  /** Closes every sink (each reports) and limiter opened; the first failure is rethrown at the end. */
  async close(): Promise<SinkSummary[]> {
    const summaries: SinkSummary[] = [];
    const failures: unknown[] = [];
    for (const sink of this.#sinks.values()) {
      // Other workers may still be writing the crawl's run: stopping one must not finish it.
      await sink.close({ finishRun: false }).then(
        (summary) => summaries.push(summary),
        (error: unknown) => failures.push(error),
      );
    }
    for (const limiter of this.#limiters)
      await limiter.close().catch((error: unknown) => failures.push(error));
    this.#sinks.clear();
    this.#limiters.clear();
    if (failures.length > 0) throw failures[0];
    return summaries;
  }

  async #open(name: string, firstTask: Task): Promise<ConnectorEntry> {
    let connector: Connector;
    try {
      connector = await this.#options.load(name);
    } catch (error) {
      throw new ConnectorUnavailableError(name, { cause: error });
    }
    if (connector.name !== name) {
      throw new ConnectorUnavailableError(name, {
        cause: new Error(`the module found for it is the connector "${connector.name}".`),
      });
    }
    const opened = this.#options.openSink(connector, firstTask);
    // Jobs run at once share the sink; the gate keeps its writes within `maxPendingWrites`.
    let sink = this.#sinks.get(opened);
    if (sink === undefined) {
      sink = gateWrites(opened);
      this.#sinks.set(opened, sink);
    }
    const limiter = this.#options.openLimiter(connector);
    if (limiter) this.#limiters.add(limiter);
    const handlers = new Map<string | undefined, Handler>();
    // Jobs come from a queue anyone with access to its Redis can write: resolve only what this
    // connector declares, so a job cannot have another variable read and sent.
    const resolveCredential = restrictCredentials(this.#options.runtime.resolveCredential, [
      connector.credential.reference,
      ...(this.#options.allowedCredentials ?? []),
    ]);
    const runtime = { ...this.#options.runtime, resolveCredential };
    const keys = createLimiterKeys({ resolveCredential, secret: this.#options.keySecret });
    return {
      connector,
      sink,
      limiter,
      limiterKey: (task) => connector.limiterKey(task, keys),
      handlerFor: (baseUrl) => {
        let handler = handlers.get(baseUrl);
        if (handler === undefined) {
          handler = connector.createHandler({ ...runtime, baseUrl });
          handlers.set(baseUrl, handler);
        }
        return handler;
      },
    };
  }
}
