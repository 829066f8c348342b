import { InvalidOptionError } from '@capital/core';
import { Client, type ClientConfig, Pool, type PoolClient, type PoolConfig } from 'pg';
import { defaultPostgresUser, withDefaultUser } from './default-postgres-user.js';
import { PostgresSinkError, toPostgresSinkError } from './postgres-sink-error.js';

/** A pool to borrow connections from, and how to name its server in messages. */
export type PostgresConnection = {
  readonly pool: Pool;
  /** `true` when the sink made the pool, so it ends it on close. */
  readonly owned: boolean;
  /** The server and database, as `postgres://host:port/db`: never the user's password. */
  readonly server: string;
  /** Strings that must never appear in a message (the password, when one was given). */
  readonly secrets: readonly string[];
  /** The user pg connects as, for messages about connecting; `undefined` when there is none. */
  readonly user: string | undefined;
};

/**
 * Connections a pool of the sink's own may open: one writes pages while the crawl asks the
 * checkpoint on another; more would only queue behind the single writer.
 */
const ownPoolSize = 4;

/**
 * Opens a pool from what the caller gave: their `Pool` (borrowed, never ended), a connection
 * string, or nothing, in which case pg reads `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` and
 * `PGDATABASE`. A string or nothing that names no user connects as libpq would: as `PGUSER`,
 * else as the operating system's user (see `defaultPostgresUser`). Connects nothing yet.
 *
 * @throws {InvalidOptionError} when the connection string cannot be parsed (it is not echoed).
 */
export function openPostgresConnection(
  connection: Pool | string | undefined,
  connectTimeoutMs: number,
): PostgresConnection {
  // Not `instanceof Pool`, so that a pool from another copy of pg is taken too.
  if (typeof connection === 'object') {
    if (typeof connection.connect !== 'function') {
      throw new InvalidOptionError('connection', 'must be a pg.Pool, a connection string, or undefined.');
    }
    return { pool: connection, owned: false, ...describe(connection.options ?? {}) };
  }
  const user = connection === undefined ? defaultPostgresUser() : undefined;
  const config: PoolConfig = {
    ...(connection === undefined ? {} : { connectionString: withDefaultUser(connection) }),
    ...(user === undefined ? {} : { user }),
    max: ownPoolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 10_000,
    // An idle pool never keeps the process alive, so a caller that forgets close() still exits.
    allowExitOnIdle: true,
  };
  const described = describe(config);
  const pool = new Pool(config);
  // An idle connection that breaks (the server restarts) is reported here; the pool drops it,
  // and the next write reconnects. Without a listener, Node would crash the process.
  pool.on('error', () => {});
  return { pool, owned: true, ...described };
}

/** The server as pg will resolve it (config, connection string, `PG*` variables, defaults). */
function describe(config: ClientConfig): Pick<PostgresConnection, 'server' | 'secrets' | 'user'> {
  let client: Client;
  try {
    // Constructing a Client connects nothing; it only resolves the parameters as connect() will.
    client = new Client(config);
  } catch {
    throw new InvalidOptionError('connection', 'is not a valid PostgreSQL connection string.');
  }
  const password = (client as { password?: unknown }).password;
  const host = client.host.startsWith('/') ? `[${client.host}]` : client.host;
  return {
    server: `postgres://${host}:${client.port}/${client.database ?? ''}`,
    secrets:
      typeof password === 'string' && password.length > 0 ? [password, encodeURIComponent(password)] : [],
    user: client.user || undefined,
  };
}

/**
 * Borrows a connection, or fails with `POSTGRES_UNREACHABLE` after `timeoutMs`. A pool the
 * caller gave may have no connect timeout of its own, so the bound is enforced here too; a
 * connection that arrives after the deadline is closed, not leaked.
 */
export function connectWithin(
  connection: PostgresConnection,
  timeoutMs: number,
  location: string,
): Promise<PoolClient> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(
        new PostgresSinkError(
          'POSTGRES_UNREACHABLE',
          `no connection within ${timeoutMs} ms (${describeUser(connection.user)}).`,
          { location, retryable: true },
        ),
      );
    }, timeoutMs);
    connection.pool.connect().then(
      (client) => {
        clearTimeout(timer);
        if (late) client.release(true);
        else resolve(client);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!late) {
          reject(
            toPostgresSinkError(
              error,
              'connect',
              location,
              connection.secrets,
              describeUser(connection.user),
            ),
          );
        }
      },
    );
  });
}

/** Which user a connection tried, for messages: a refused role is the most common first error. */
function describeUser(user: string | undefined): string {
  return user === undefined
    ? 'no user name: name one in the URL, postgres://USER@HOST/DB, or set PGUSER'
    : `connecting as user "${user}"`;
}
