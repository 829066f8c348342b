import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Connector } from '@capital/core';
import { CliUsageError } from './cli-error.js';
import { connectorFolders, findConnectorPackage } from './find-connector-package.js';

/**
 * The package names a connector called NAME may have, in the order they are tried:
 * `@capital/NAME-connector`, then `capital-connector-NAME`, then `capital-connector-NAME` in
 * another scope (`@acme/capital-connector-NAME`). A connector package exports `connector` (see
 * `Connector` in `@capital/core`).
 */
export function connectorPackageNames(name: string): string[] {
  return [`@capital/${name}-connector`, `capital-connector-${name}`, `@SCOPE/capital-connector-${name}`];
}

/**
 * Finds and loads a connector: from a module path (`--connector ./my-connector.js`), or by name
 * among the packages the project in `cwd` has installed, then those installed beside the CLI.
 *
 * @throws {CliUsageError} when no such package is installed or it exports no `connector`.
 */
export async function loadConnector(
  nameOrPath: { name?: string; path?: string },
  cwd = process.cwd(),
): Promise<Connector> {
  if (nameOrPath.path)
    return importConnector(pathToFileURL(resolve(cwd, nameOrPath.path)).href, nameOrPath.path);
  const name = nameOrPath.name ?? '';
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new CliUsageError(`"${name}" is not a connector name (lower-case letters, digits and dashes).`);
  }
  const found = findConnectorPackage(name, cwd);
  if (found) return importConnector(found.url, found.packageName);
  throw new CliUsageError(
    `No connector "${name}": install one of ${connectorPackageNames(name).join(' or ')}, or pass --connector PATH to a module that exports \`connector\`.`,
  );
}

/**
 * The names of the connectors installed where {@link loadConnector} looks (beside the CLI and in
 * the current folder), sorted: `wtd` for `@capital/wtd-connector`.
 *
 * @example await listInstalledConnectors(process.cwd()) // ['wtd']
 */
export async function listInstalledConnectors(cwd = process.cwd()): Promise<string[]> {
  const names = new Set<string>();
  for (const folder of connectorFolders(cwd)) {
    for (const entry of await entriesOf(join(folder, '@capital'))) {
      const match = /^([a-z0-9][a-z0-9-]*)-connector$/.exec(entry);
      if (match?.[1]) names.add(match[1]);
    }
    for (const entry of await entriesOf(folder)) {
      const match = /^capital-connector-([a-z0-9][a-z0-9-]*)$/.exec(entry);
      if (match?.[1]) names.add(match[1]);
      if (entry.startsWith('@') && entry !== '@capital') {
        for (const scoped of await entriesOf(join(folder, entry))) {
          const inScope = /^capital-connector-([a-z0-9][a-z0-9-]*)$/.exec(scoped);
          if (inScope?.[1]) names.add(inScope[1]);
        }
      }
    }
  }
  return [...names].sort();
}

async function entriesOf(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch {
    return [];
  }
}

async function importConnector(url: string, what: string): Promise<Connector> {
  let module: { connector?: Connector };
  try {
    module = (await import(url)) as { connector?: Connector };
  } catch (error) {
    throw new CliUsageError(`Cannot load the connector ${what}: ${(error as Error).message}`);
  }
  const connector = module.connector;
  if (!connector || typeof connector.createHandler !== 'function' || typeof connector.seeds !== 'function') {
    throw new CliUsageError(`${what} does not export a \`connector\` (see Connector in @capital/core).`);
  }
  return connector;
}
