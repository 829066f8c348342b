import { CapitalError } from '@capital/core';

/** Context of a {@link PostgresSinkError}. */
export type PostgresSinkErrorContext = {
  /** Where the sink writes, as `postgres://host:port/db schema.table`: never a password. */
  readonly location: string;
  /** PostgreSQL's SQLSTATE (`42P01`), when the server sent one. */
  readonly sqlState?: string | undefined;
  /** `true` when another attempt may succeed (the connection dropped, a deadlock). */
  readonly retryable?: boolean;
  /** Attempts made, when the sink gave up retrying a transient failure. */
  readonly attempts?: number | undefined;
  /** How long the sink retried before it gave up, in ms. */
  readonly retriedForMs?: number | undefined;
  readonly cause?: unknown;
};

/**
 * The PostgreSQL sink could not reach its database or run a statement. `code` says which:
 *
 * - `POSTGRES_UNREACHABLE`: no connection within `connectTimeoutMs` (refused, timed out, the
 *   server starting up or out of connections). Retryable.
 * - `POSTGRES_CONNECTION_LOST`: the connection broke mid-statement. Retryable: a page whose
 *   COMMIT may or may not have landed is simply written again, which changes nothing.
 * - `POSTGRES_CONFLICT`: a deadlock or serialisation failure. Retryable.
 * - `POSTGRES_AUTH_FAILED`, `POSTGRES_PERMISSION_DENIED`, `POSTGRES_DATABASE_MISSING`.
 * - `POSTGRES_TABLE_MISSING`: the table does not exist and `createTable` is `false`.
 * - `POSTGRES_TABLE_MISMATCH`: the table lacks a mapped column, a column has another type, or
 *   the record key column has no unique index for `ON CONFLICT`.
 * - `POSTGRES_QUERY_FAILED`: any other server error; see `sqlState`.
 * - `SINK_CLOSED`: the sink was used after `close()` or `abort()`.
 */
export class PostgresSinkError extends CapitalError {
  override readonly retryable: boolean;
  readonly location: string;
  readonly sqlState: string | undefined;
  readonly attempts: number | undefined;
  readonly retriedForMs: number | undefined;
  /** The message without the sink's location in front. */
  readonly detail: string;
  constructor(code: string, message: string, context: PostgresSinkErrorContext) {
    super(`PostgreSQL sink ${context.location}: ${message}`, { code, cause: context.cause });
    this.location = context.location;
    this.sqlState = context.sqlState;
    this.retryable = context.retryable ?? false;
    this.attempts = context.attempts;
    this.retriedForMs = context.retriedForMs;
    this.detail = message;
  }
  override name = 'PostgresSinkError' as const;
}

/** What each SQLSTATE (or its two-character class) means to the sink: [code, retryable]. */
const sqlStates: ReadonlyMap<string, readonly [string, boolean]> = new Map([
  ['08', ['POSTGRES_CONNECTION_LOST', true]],
  ['57P01', ['POSTGRES_CONNECTION_LOST', true]],
  ['57P02', ['POSTGRES_CONNECTION_LOST', true]],
  ['57P03', ['POSTGRES_UNREACHABLE', true]],
  ['53300', ['POSTGRES_UNREACHABLE', true]],
  ['40001', ['POSTGRES_CONFLICT', true]],
  ['40P01', ['POSTGRES_CONFLICT', true]],
  ['28', ['POSTGRES_AUTH_FAILED', false]],
  ['42501', ['POSTGRES_PERMISSION_DENIED', false]],
  ['3D000', ['POSTGRES_DATABASE_MISSING', false]],
  ['42P01', ['POSTGRES_TABLE_MISSING', false]],
  ['42703', ['POSTGRES_TABLE_MISMATCH', false]],
  ['42804', ['POSTGRES_TABLE_MISMATCH', false]],
  ['42P10', ['POSTGRES_TABLE_MISMATCH', false]],
]);

/** Socket errors Node reports while connecting; all but a name that does not resolve may pass later. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Turns whatever pg threw into a {@link PostgresSinkError} with a code, keeping the original as
 * `cause`. `phase` tells a failure to connect from one of a statement. `secrets` (the password
 * of a connection string) are cut out of the message, whatever pg put in it. `detail` (which user
 * a connection tried) is added to the message in parentheses.
 */
export function toPostgresSinkError(
  thrown: unknown,
  phase: 'connect' | 'query',
  location: string,
  secrets: readonly string[] = [],
  detail?: string,
): PostgresSinkError {
  if (thrown instanceof PostgresSinkError) return thrown;
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const code = (error as { code?: unknown }).code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  let message = error.message;
  for (const secret of secrets) if (secret) message = message.split(secret).join('***');
  if (detail !== undefined) message = `${message} (${detail})`;
  const make = (kind: string, retryable: boolean, text = message) =>
    new PostgresSinkError(kind, text, { location, sqlState, retryable, cause: error });
  if (sqlState !== undefined) {
    const [kind, retryable] = sqlStates.get(sqlState) ??
      sqlStates.get(sqlState.slice(0, 2)) ?? ['POSTGRES_QUERY_FAILED', false];
    return make(kind, retryable, `${message} (SQLSTATE ${sqlState})`);
  }
  if (typeof code === 'string' && (networkCodes.has(code) || code === 'ENOTFOUND')) {
    return phase === 'connect'
      ? make('POSTGRES_UNREACHABLE', code !== 'ENOTFOUND', `cannot connect: ${message}`)
      : make('POSTGRES_CONNECTION_LOST', true);
  }
  // pg reports a dropped or timed-out connection as a plain Error, without a code.
  if (/connection terminated|not queryable|timeout/i.test(message)) {
    return make(phase === 'connect' ? 'POSTGRES_UNREACHABLE' : 'POSTGRES_CONNECTION_LOST', true);
  }
  return make(phase === 'connect' ? 'POSTGRES_UNREACHABLE' : 'POSTGRES_QUERY_FAILED', false);
}

/**
 * The error of a transient failure that outlasted the retry budget: the last failure's code
 * and SQLSTATE, no longer retryable (every retry is spent), and a message that says how long
 * the sink tried, so that an operator can tell a blip from an outage.
 */
export function retriesSpentError(
  last: unknown,
  attempts: number,
  elapsedMs: number,
  location: string,
): PostgresSinkError {
  const error = toPostgresSinkError(last, 'query', location);
  const seconds = (elapsedMs / 1000).toFixed(1);
  return new PostgresSinkError(
    error.code,
    `${error.detail} (gave up after ${attempts} attempts in ${seconds} s: the retry budget is spent)`,
    { location, sqlState: error.sqlState, retryable: false, attempts, retriedForMs: elapsedMs, cause: last },
  );
}
