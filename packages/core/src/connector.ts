import type { CredentialResolver } from './credentials.js';
import type { LimiterKeys } from './limit/limiter-key.js';
import type { LimiterKey } from './limit/limiter-layers.js';
import type { Logger } from './logger.js';
import type { Handler, Task } from './task.js';

/** A parameter a connector's seeds take (a CLI flag `--NAME VALUE`). */
export type ConnectorParam = {
  readonly name: string;
  readonly description: string;
  /** @default false */
  readonly required?: boolean;
  readonly default?: string;
  /**
   * What the value must be; the CLI refuses another at parse time, naming the flag. Values reach
   * `seeds` as the text given, so a connector parses them itself (`Number(…)`, `new Date(…)`):
   * - `'string'` — any text;
   * - `'integer'` — a whole number in decimal, e.g. `100` or `-3`;
   * - `'date'` — an ISO 8601 date or date-time, e.g. `2026-01-31` or `2026-01-31T12:00:00Z`.
   * @default 'string'
   */
  readonly type?: 'string' | 'integer' | 'date';
  /**
   * A switch (`--with-lines`) that takes no value: `'true'` when given, absent otherwise.
   * @default false
   */
  readonly switch?: boolean;
};

/** What a handler factory gets from whoever runs the connector (the CLI, a worker, a test). */
export type ConnectorRuntime = {
  /** The API's base URL; the connector's default when absent. */
  readonly baseUrl?: string | undefined;
  /** Resolves the credential references tasks carry. */
  readonly resolveCredential: CredentialResolver;
  /** Per-request timeout in ms; the connector's default when absent. */
  readonly timeoutMs?: number | undefined;
  readonly logger?: Logger | undefined;
};

/**
 * How a connector asks only for what changed: the records' cursor field and seeds that ask
 * for records whose cursor is at or after a point in time. The runner keeps the watermark (the
 * start of the last finished run, never its end) and asks from it minus a look-back.
 */
export type IncrementalSync<T extends Task = Task> = {
  /** The record field that grows with changes (`created`, `updated_at`), for messages and docs. */
  readonly cursorField: string;
  /** The first tasks of a crawl that fetches records whose cursor is at or after `since`. */
  seedsSince(params: Readonly<Record<string, string>>, since: Date): T[];
  /**
   * How far before the watermark to ask again, so that a record written with a cursor just
   * before it (clock skew, a transaction that committed late) is not lost; re-read records are
   * de-duplicated by record key.
   * @default 0
   */
  readonly lookBackMs?: number | undefined;
};

/** A local stand-in for a connector's API, for demos and tests. */
export type RunningEmulator = {
  /** Base URL to give the connector, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
};

/** Options every emulator understands (each connector may take more). */
export type EmulatorStartOptions = {
  readonly port?: number;
  readonly rateLimit?: string | false;
  readonly latencyMs?: number;
  readonly faultRate?: number;
  readonly malformedRate?: number;
  readonly burst429Rate?: number;
  /** Tokens the emulator accepts. */
  readonly tokens?: readonly string[];
};

/**
 * A connector, as a package exports it (`export const connector`). The CLI and the workers find
 * it by name — `@capital/NAME-connector` or `capital-connector-NAME` — so a new connector plugs
 * in without editing either.
 */
export type Connector<T extends Task = Task, D = unknown> = {
  /** The short name used on the command line: `capital run wtd`. */
  readonly name: string;
  /** One line on what it downloads. */
  readonly description: string;
  /** The parameters its seeds take. */
  readonly params: readonly ConnectorParam[];
  /**
   * The environment variable that holds its credential, and the reference its tasks carry. A
   * worker resolves this reference only (and those its operator allows with
   * `--allow-credential`): a task from the queue that names another is refused.
   */
  readonly credential: { readonly envVar: string; readonly reference: string };
  /**
   * The API's base URL when none is given. A worker also accepts jobs that carry it; any other
   * base URL must be one the worker was started with.
   */
  readonly defaultBaseUrl?: string;
  /**
   * The API's own rate limit, as `9/1s`; `auto` for an API whose limit is not known, so that
   * without `--rate` the rate is learnt from its headers and 429s (`--rate auto`).
   */
  readonly defaultRate: string;
  /**
   * Requests in flight at once when the user does not say (`--concurrency`): an API that also
   * limits concurrent requests (Stripe) declares what keeps its rate reachable under that limit.
   * @default 4
   */
  readonly defaultConcurrency?: number;
  /** The first tasks of a crawl, from parameter values. */
  seeds(params: Readonly<Record<string, string>>): T[];
  /**
   * Checks a task that came from outside the process (a job on a queue anyone with access to its
   * Redis can write) and returns it typed: its fields, types and sizes. A worker fails a job
   * whose task this rejects, at once.
   * @throws {InvalidTaskError} naming what is wrong.
   */
  checkTask?(task: Task): T;
  /** The handler, bound to a base URL and credentials. */
  createHandler(runtime: ConnectorRuntime): Handler<T, D>;
  /**
   * The rate limiter key of a task: `keys.forCredential(name, task.credentials)`, a keyed hash
   * of the credential the task's reference resolves to, so each account has one budget; or
   * layers of keys, each with its rate, for an API with several budgets (an account's and each
   * endpoint's, derived from that account key): a permit is taken from all of them at once.
   * Never put a credential (or only its reference) into a key.
   */
  limiterKey(task: T, keys: LimiterKeys): LimiterKey;
  /** The identity of a record: idempotent sinks and the completeness check key records by it. */
  recordKey(record: D): string;
  /**
   * Present on connectors whose API can list what changed since a point in time; without it
   * every run is a full refresh.
   */
  readonly incremental?: IncrementalSync<T> | undefined;
  /** Starts the connector's emulator, for those that ship one. */
  startEmulator?(options?: EmulatorStartOptions): Promise<RunningEmulator>;
};
