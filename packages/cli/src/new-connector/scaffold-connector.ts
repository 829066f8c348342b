import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError } from '../cli-error.js';
import type { ConnectorNames } from './connector-name.js';

/** The templates sit beside `src/` and `dist/` alike, two levels above this file. */
const templatesDir = fileURLToPath(new URL('../../templates/connector/', import.meta.url));

/** Options of {@link scaffoldConnector}. */
export type ScaffoldConnectorOptions = {
  readonly names: ConnectorNames;
  /** The folder to create; it must not exist, or be empty. */
  readonly dir: string;
  /** The `@capital/core` version range the package depends on (`^VERSION`). */
  readonly coreVersion: string;
  /** @default the current year */
  readonly year?: number;
};

/**
 * Writes a connector package from the templates: package.json (MIT), tsconfigs, the connector,
 * its emulator on the emulator kit, its conformance and marble tests, a README and a licence.
 * Never overwrites: a folder that holds anything is refused, and every file is created exclusively.
 *
 * @returns The files written, relative to `dir`, sorted.
 * @throws {CliUsageError} when `dir` is a file or a folder that is not empty.
 */
export async function scaffoldConnector(options: ScaffoldConnectorOptions): Promise<string[]> {
  const dir = resolve(options.dir);
  await assertEmptyOrMissing(dir);
  const values: Readonly<Record<string, string>> = {
    __NAME__: options.names.slug,
    __PACKAGE__: options.names.packageName,
    __ENV_VAR__: options.names.envVar,
    __TASK_TYPE__: options.names.taskType,
    __TITLE__: options.names.title,
    __CORE_VERSION__: options.coreVersion,
    __YEAR__: String(options.year ?? new Date().getFullYear()),
  };
  const written: string[] = [];
  for (const template of await listTemplates(templatesDir)) {
    const target = join(dir, outputName(relative(templatesDir, template)));
    const text = (await readFile(template, 'utf8')).replace(/__[A-Z_]+__/g, (placeholder) => {
      const value = values[placeholder];
      if (value === undefined) throw new Error(`Template ${template}: unknown placeholder ${placeholder}.`);
      return value;
    });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text, { flag: 'wx' });
    written.push(relative(dir, target));
  }
  return written.sort();
}

async function assertEmptyOrMissing(dir: string): Promise<void> {
  const stats = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined) return;
  if (!stats.isDirectory()) throw new CliUsageError(`${dir} exists and is not a folder.`);
  if ((await readdir(dir)).length > 0) throw new CliUsageError(`${dir} is not empty; choose another --dir.`);
}

async function listTemplates(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listTemplates(path)));
    else if (entry.name.endsWith('.tmpl')) files.push(path);
  }
  return files;
}

/** `src/connector.ts.tmpl` → `src/connector.ts`; `gitignore` gets its dot back (npm drops `.gitignore`). */
function outputName(templatePath: string): string {
  const name = templatePath.slice(0, -'.tmpl'.length);
  return name === 'gitignore' ? '.gitignore' : name;
}
