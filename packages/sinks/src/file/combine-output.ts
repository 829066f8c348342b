import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import type { WriteDisposition } from '@capital/core';
import { partialPathFor } from './stale-partials.js';

/**
 * Puts a finished run's output in place at `path` as its disposition says: `replace` renames it
 * over the old file; `append` writes the old file's lines, then the run's, to a new partial file
 * and renames that; `merge` does the same but leaves out the old lines whose `_record_key` the
 * run wrote again (one line per record key, the run's copy). Every way ends in one rename, so
 * a crash before it leaves the old file as it was.
 *
 * @param runOutput - The run's own finished (flushed) partial file.
 * @param keys - The record keys the run wrote (for `merge`).
 */
export async function combineOutput(
  path: string,
  runOutput: string,
  disposition: WriteDisposition,
  keys: ReadonlySet<string>,
  fsync: boolean,
): Promise<void> {
  if (disposition === 'replace') {
    await rename(runOutput, path);
    return;
  }
  const combined = partialPathFor(path);
  const out = createWriteStream(combined, { flags: 'w' });
  try {
    await copyLines(path, out, (line) => disposition === 'append' || !keys.has(keyOf(line) ?? ''));
    await copyLines(runOutput, out, () => true);
    out.end();
    await finished(out);
    if (fsync) {
      const handle = await open(combined, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await rename(combined, path);
    await rm(runOutput, { force: true });
  } catch (error) {
    out.destroy();
    await rm(combined, { force: true });
    throw error;
  }
}

/** Copies the lines of `from` (none if it does not exist) that `keep` keeps. */
async function copyLines(
  from: string,
  out: NodeJS.WritableStream,
  keep: (line: string) => boolean,
): Promise<void> {
  const input = createReadStream(from, { encoding: 'utf8' });
  const missing = new Promise<boolean>((resolve) => {
    input.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT'));
    input.once('open', () => resolve(false));
  });
  if (await missing) return;
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === '' || !keep(line)) continue;
    if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once('drain', resolve));
  }
}

/** A line's `_record_key`, if it has one. */
function keyOf(line: string): string | undefined {
  try {
    const key = (JSON.parse(line) as { _record_key?: unknown })._record_key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
