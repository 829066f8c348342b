import { FileSink, type Sink } from '@capital/sinks';
import { CliUsageError } from './cli-error.js';

/** Where `--sink` (or `--out`) says the pages go. */
export type SinkTarget = { readonly kind: 'file'; readonly path: string };

/** Reads `--sink file:PATH` (or a bare `--out PATH`). */
export function parseSinkFlag(text: string): SinkTarget {
  if (text.startsWith('file:')) {
    const path = text.slice('file:'.length);
    if (path === '') throw new CliUsageError('--sink file:PATH needs a path.');
    return { kind: 'file', path };
  }
  throw new CliUsageError(`--sink takes file:PATH, got "${text.replace(/\/\/[^@/]*@/, '//***@')}".`);
}

/** Opens the sink a target names. */
export function openSink(target: SinkTarget, recordKey: (record: unknown) => string): Sink {
  return new FileSink({ path: target.path, recordKey });
}
