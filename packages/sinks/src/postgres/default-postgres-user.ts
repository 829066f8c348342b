import { userInfo } from 'node:os';

/**
 * The user libpq connects as when none is named: `PGUSER`, else the operating system's user.
 * pg falls back on `USER` instead, which containers and CI runners often leave unset; the server
 * then refuses with "no PostgreSQL user name specified in startup packet".
 *
 * @returns the user name, or `undefined` when the process's user has no name (no entry in
 * /etc/passwd, as in some containers).
 * @example defaultPostgresUser({ PGUSER: 'app' }) // 'app'
 */
export function defaultPostgresUser(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PGUSER) return env.PGUSER;
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `postgres://` connection string with the default user filled in when it names none, as
 * libpq would connect (see {@link defaultPostgresUser}). Other strings are returned as they are.
 *
 * @example withDefaultUser('postgres://127.0.0.1/test', { PGUSER: 'app' }) // 'postgres://app@127.0.0.1/test'
 */
export function withDefaultUser(connection: string, env: NodeJS.ProcessEnv = process.env): string {
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    return connection;
  }
  if ((url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || url.username !== '')
    return connection;
  const user = defaultPostgresUser(env);
  if (user === undefined) return connection;
  url.username = encodeURIComponent(user);
  return url.toString();
}
