import { CapitalError, describeTask, labelTask } from '@capital/core';
import type { SinkPage } from './sink.js';

/** What an error names a page by. */
export type PageLabel = Pick<SinkPage, 'key' | 'task'>;

/** A sink could not store a page: a record that cannot be serialised, a write that failed. */
export class SinkWriteError extends CapitalError {
  readonly taskKey: string;
  readonly page: number | undefined;
  constructor(page: PageLabel, problem: string, options: { code?: string; cause?: unknown } = {}) {
    const label = labelTask(page.task, page.key);
    super(`${describeTask(label)} could not be stored: ${problem}`, {
      code: options.code ?? 'SINK_WRITE_FAILED',
      cause: options.cause,
    });
    this.taskKey = page.key;
    this.page = label.page;
  }
  override name = 'SinkWriteError' as const;
}
