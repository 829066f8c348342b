import { existsSync, readFileSync } from 'node:fs';

/** The statements in `sql/`, each in a file of its own that documents its names and parameters. */
export type SqlFile =
  | 'find-tables'
  | 'lock-setup'
  | 'create-schema'
  | 'create-pages-table'
  | 'create-staging-table'
  | 'copy-staging'
  | 'upsert-pages'
  | 'completed-pages'
  | 'create-runs-table'
  | 'add-resume-at'
  | 'create-runs-index'
  | 'list-runs'
  | 'runs-beyond-history'
  | 'lock-job';

const cache = new Map<SqlFile, string>();

/**
 * Where the `.sql` files are. They are the source of truth and the build copies nothing, so from
 * `src/postgres` they sit beside this module, and from `dist/postgres` they are read from the
 * package's `src/postgres/sql` (the package ships that folder, see `files` in package.json), as
 * core does with its Lua scripts.
 */
function sqlDirectory(): URL {
  const beside = new URL('./sql/', import.meta.url);
  return existsSync(new URL('upsert-pages.sql', beside))
    ? beside
    : new URL('../../src/postgres/sql/', import.meta.url);
}

/**
 * A statement from `sql/<file>.sql`, with each `{{name}}` replaced by `names[name]`. Only quoted
 * identifiers go in that way; values always travel as parameters (`$1`).
 *
 * @throws {Error} when the statement names a placeholder that `names` lacks (a bug, not input).
 * @example sqlFile('completed-pages', { pages: '"public"."wtd_stock_search__pages"' })
 */
export function sqlFile(file: SqlFile, names: Readonly<Record<string, string>> = {}): string {
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(`${file}.sql`, sqlDirectory()), 'utf8').trim();
    cache.set(file, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = names[name];
    if (value === undefined) throw new Error(`sql/${file}.sql needs {{${name}}}.`);
    return value;
  });
}
