import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Task } from '@capital/core';

/**
 * Where a deferred run keeps what it stored, beside the output: its lines
 * (`.NAME.RUN.deferred`) and one line per stored page with its task key and next tasks
 * (`.NAME.RUN.deferred-pages`), which the resumed run answers the crawl's checkpoint from.
 */
export function keptRunPaths(path: string, runId: string): { readonly data: string; readonly pages: string } {
  const stem = join(dirname(path), `.${basename(path)}.${runId}`);
  return { data: `${stem}.deferred`, pages: `${stem}.deferred-pages` };
}

/** A page as the pages file records it. */
export type KeptPage = { readonly key: string; readonly nextTasks: readonly Task[] };

/** The line that records one stored page in the pages file. */
export function keptPageLine(page: KeptPage): string {
  return `${JSON.stringify({ key: page.key, nextTasks: page.nextTasks })}\n`;
}

/** What a resumed run takes over from its deferred self. */
export type AdoptedRun = {
  /** Each stored page's key with its next tasks. */
  readonly pages: ReadonlyMap<string, readonly Task[]>;
  /** Lines (records) stored. */
  readonly records: number;
  /** The `_record_key`s of those lines, for `merge`. */
  readonly recordKeys: readonly string[];
};

/**
 * Takes over what a deferred run kept: moves its files to this writer's partial files (which
 * the writer then appends to) and reads back its pages. `undefined` when the run kept nothing
 * (it was interrupted, not deferred: its partial file died with it).
 */
export async function adoptKeptRun(
  path: string,
  runId: string,
  into: { readonly data: string; readonly pages: string },
): Promise<AdoptedRun | undefined> {
  const kept = keptRunPaths(path, runId);
  try {
    await rename(kept.pages, into.pages);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  await rename(kept.data, into.data);
  const pages = new Map<string, readonly Task[]>();
  for await (const line of lines(into.pages)) {
    const page = parseKeptPage(line);
    // A torn last line (a crash while the deferral was written) is a page not kept.
    if (page !== undefined) pages.set(page.key, page.nextTasks);
  }
  let records = 0;
  const recordKeys: string[] = [];
  for await (const line of lines(into.data)) {
    records += 1;
    const key = recordKeyOf(line);
    if (key !== undefined) recordKeys.push(key);
  }
  return { pages, records, recordKeys };
}

/** Forgets what a deferred run kept (`capital state reset`, or a run finished without it). */
export async function removeKeptRun(path: string, runId: string): Promise<void> {
  const kept = keptRunPaths(path, runId);
  await Promise.all([rm(kept.data, { force: true }), rm(kept.pages, { force: true })]);
}

async function* lines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file, { encoding: 'utf8' });
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line !== '') yield line;
  }
}

function parseKeptPage(line: string): KeptPage | undefined {
  try {
    const value = JSON.parse(line) as { key?: unknown; nextTasks?: unknown };
    if (typeof value.key !== 'string' || !Array.isArray(value.nextTasks)) return undefined;
    return { key: value.key, nextTasks: value.nextTasks as Task[] };
  } catch {
    return undefined;
  }
}

function recordKeyOf(line: string): string | undefined {
  try {
    const key = (JSON.parse(line) as { _record_key?: unknown })._record_key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
