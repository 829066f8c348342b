import { readdir } from 'node:fs/promises';

/**
 * The files in `folder` but the file sink's runs state files (`.NAME.runs.json`), which record
 * every run, failed ones too, on purpose: what a user would take for output.
 */
export async function outputFiles(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => !name.endsWith('.runs.json'));
}
