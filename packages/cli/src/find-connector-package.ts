import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliUsageError } from './cli-error.js';

/** A connector package found on disk: its name and the URL of the module to import. */
export type ConnectorPackage = {
  readonly packageName: string;
  readonly url: string;
};

/**
 * Finds the package of the connector called `name`: first in the `node_modules` folders that the
 * project in `cwd` sees (a user installs connectors in their own project, and a global or `npx`
 * CLI lives elsewhere), then in those beside the CLI (the connectors it depends on).
 *
 * @throws {CliUsageError} when two scopes in one folder both hold `capital-connector-NAME`.
 * @example findConnectorPackage('wtd', process.cwd())?.packageName // '@capital/wtd-connector'
 */
export function findConnectorPackage(name: string, cwd: string): ConnectorPackage | undefined {
  for (const folder of connectorFolders(cwd)) {
    for (const packageName of [`@capital/${name}-connector`, `capital-connector-${name}`]) {
      const url = packageEntry(join(folder, packageName));
      if (url) return { packageName, url };
    }
    const scoped = scopesIn(folder)
      .map((scope) => `${scope}/capital-connector-${name}`)
      .filter((packageName) => existsSync(join(folder, packageName, 'package.json')));
    if (scoped.length > 1) {
      throw new CliUsageError(
        `Several packages are connector "${name}" (${scoped.join(', ')}): pass --connector PATH to pick one.`,
      );
    }
    const [packageName] = scoped;
    const url = packageName === undefined ? undefined : packageEntry(join(folder, packageName));
    if (packageName !== undefined && url) return { packageName, url };
  }
  return undefined;
}

/**
 * The `node_modules` folders where connectors are looked for, in order: those Node searches from
 * the project in `cwd`, nearest first, then those it searches from the CLI.
 *
 * @example connectorFolders('/home/me/app')[0] // '/home/me/app/node_modules'
 */
export function connectorFolders(cwd: string): string[] {
  return [
    ...new Set([
      ...nodeModulesFolders(join(resolve(cwd), 'package.json')),
      ...nodeModulesFolders(import.meta.url),
    ]),
  ];
}

/** The `node_modules` folders Node searches from `from` (a file path or URL), nearest first. */
function nodeModulesFolders(from: string): string[] {
  return createRequire(from).resolve.paths('capital-connector') ?? [];
}

function scopesIn(folder: string): string[] {
  try {
    return readdirSync(folder)
      .filter((entry) => entry.startsWith('@') && entry !== '@capital')
      .sort();
  } catch {
    return [];
  }
}

/**
 * The module that `import 'PACKAGE'` loads, for the package in `directory`: its `exports["."]`
 * under the conditions `import` and `node` (connector packages are often ESM-only, which
 * `require.resolve` cannot resolve), else its `main`, else `index.js`. Undefined when the folder
 * holds no package.
 */
function packageEntry(directory: string): string | undefined {
  const manifestPath = join(directory, 'package.json');
  if (!existsSync(manifestPath)) return undefined;
  let manifest: { exports?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch (error) {
    throw new CliUsageError(`${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const target =
    manifest.exports === undefined
      ? typeof manifest.main === 'string'
        ? manifest.main
        : 'index.js'
      : exportTarget(rootExport(manifest.exports));
  // Node accepts only targets inside the package (`./…`) in `exports`.
  if (target === undefined || (manifest.exports !== undefined && !target.startsWith('./'))) {
    throw new CliUsageError(`${manifestPath} exports no module for \`import\`.`);
  }
  const file = resolve(directory, target);
  if (!existsSync(file)) throw new CliUsageError(`${manifestPath} names ${target}, which does not exist.`);
  // Symlinked installs (pnpm, npm link) import by their real path, as Node does, so the
  // connector and the CLI share one copy of each module.
  return pathToFileURL(realpathSync(file)).href;
}

function rootExport(exports: unknown): unknown {
  if (exports === null || typeof exports !== 'object' || Array.isArray(exports)) return exports;
  const keys = Object.keys(exports);
  return keys.some((key) => key.startsWith('.')) ? (exports as Record<string, unknown>)['.'] : exports;
}

const importConditions = new Set(['node', 'import', 'default']);

/** Node's condition matching: the first key, in the package's order, that the importer meets. */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const target = exportTarget(item);
      if (target !== undefined) return target;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [condition, nested] of Object.entries(value)) {
    if (!importConditions.has(condition)) continue;
    const target = exportTarget(nested);
    if (target !== undefined) return target;
  }
  return undefined;
}
