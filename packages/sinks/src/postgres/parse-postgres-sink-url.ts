import { InvalidOptionError } from '@capital/core';

/** What a `postgres://` sink URL says: where to connect, and where in the database to write. */
export type PostgresSinkUrl = {
  /** The URL without the sink's own parameters, for pg (`sslmode` and the like stay). */
  readonly connection: string;
  /** From `?schema=`. */
  readonly schema?: string;
  /** From `?table=`. */
  readonly table?: string;
  /** From `?pages_table=`. */
  readonly pagesTable?: string;
  /** From libpq's `?connect_timeout=`, in whole seconds, as ms. */
  readonly connectTimeoutMs?: number;
};

/** The query parameters the sink reads; pg never sees them. */
const sinkParameters = ['schema', 'table', 'pages_table', 'connect_timeout'] as const;

/**
 * Reads the CLI's `--sink postgres://user@host:port/db?schema=S&table=T` (or `postgresql://`)
 * into options of `PostgresSink`. A password in the URL is passed on to pg, and never shown in an
 * error: messages show the URL as `postgres://user:***@host/…`.
 *
 * @param url - The URL. Names in it are percent-decoded (`?table=my%20table`).
 * @returns The connection string and the names it gives; spread it into `PostgresSink`'s options.
 * @throws {InvalidOptionError} (`option: 'sink'`) for a malformed URL, another scheme, an empty
 * or repeated name, or a `connect_timeout` that is not a whole number of seconds ≥ 1.
 * @example
 * new PostgresSink({ ...parsePostgresSinkUrl('postgres://capital@127.0.0.1:5432/test?table=listings'),
 *   recordKey: (listing: Listing) => listing.symbol });
 */
export function parsePostgresSinkUrl(url: string): PostgresSinkUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError('sink', `${redactUrl(url)} is not a URL.`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new InvalidOptionError('sink', `${redactUrl(url)} is not a postgres:// URL.`);
  }
  const read = (name: (typeof sinkParameters)[number]): string | undefined => {
    const values = parsed.searchParams.getAll(name);
    if (values.length === 0) return undefined;
    if (values.length > 1 || values[0] === '') {
      throw new InvalidOptionError(
        'sink',
        `${redactUrl(url)} needs one non-empty ?${name}=, got ${values.length}.`,
      );
    }
    return values[0];
  };
  const schema = read('schema');
  const table = read('table');
  const pagesTable = read('pages_table');
  const timeout = read('connect_timeout');
  let connectTimeoutMs: number | undefined;
  if (timeout !== undefined) {
    connectTimeoutMs = Number(timeout) * 1000;
    if (!/^\d+$/.test(timeout) || connectTimeoutMs < 1000) {
      throw new InvalidOptionError('sink', `${redactUrl(url)}: connect_timeout is in whole seconds ≥ 1.`);
    }
  }
  for (const name of sinkParameters) parsed.searchParams.delete(name);
  return {
    connection: parsed.toString(),
    ...(schema === undefined ? {} : { schema }),
    ...(table === undefined ? {} : { table }),
    ...(pagesTable === undefined ? {} : { pagesTable }),
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
  };
}

/**
 * A URL as it may be shown: the password, if any, replaced by `***`. Works on text that is not a
 * valid URL too, so an error about a malformed URL leaks nothing either.
 *
 * @example redactUrl('postgres://app:s3cret@db/prod') // 'postgres://app:***@db/prod'
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1:***@');
}
