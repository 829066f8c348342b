import type { RunChoice, WriteDisposition } from '@capital/core';
import type { OpenedRun } from '@capital/sinks';
import { CliUsageError } from './cli-error.js';
import type { SeedPlan } from './plan-seeds.js';

/**
 * `--write`: what a finished run does with the data stored before it.
 * @throws {CliUsageError} for anything but append, merge or replace.
 */
export function parseWriteFlag(text: string): WriteDisposition {
  if (text === 'append' || text === 'merge' || text === 'replace') return text;
  throw new CliUsageError(
    `--write takes append, merge or replace, got ${JSON.stringify(text.slice(0, 40))}.`,
  );
}

/**
 * `--resume RUN` / `--fresh`: which run to write; neither resumes the latest unfinished one.
 * @throws {CliUsageError} for both at once, or a run id that is not 8 hex digits.
 */
export function parseRunChoice(resume: string | undefined, fresh: boolean | undefined): RunChoice {
  if (resume !== undefined && fresh === true)
    throw new CliUsageError('Pass --resume RUN or --fresh, not both.');
  if (fresh === true) return { kind: 'fresh' };
  if (resume === undefined) return { kind: 'auto' };
  if (!/^[0-9a-f]{8}$/.test(resume)) {
    throw new CliUsageError(
      `--resume takes a run id of 8 hex digits (see capital state show), got ${JSON.stringify(resume.slice(0, 40))}.`,
    );
  }
  return { kind: 'resume', id: resume };
}

/**
 * `--since`: an ISO 8601 date or date-time (`2026-11-01`, `2026-11-01T12:00:00Z`) or whole
 * seconds since the epoch (`1764547200`, as Stripe's `created`).
 * @throws {CliUsageError} for anything else.
 */
export function parseSinceFlag(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d{1,12}$/.test(text)
    ? Number(text) * 1000
    : /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
      ? Date.parse(text)
      : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new CliUsageError(
      `--since takes a date (2026-11-01T12:00:00Z) or seconds since the epoch, got ${JSON.stringify(text.slice(0, 40))}.`,
    );
  }
  return new Date(ms);
}

/**
 * The opening line's account of the run: `resuming run R (interrupted, 5 pages stored)` or
 * `new run R`. A run found `running` belongs to a process that died (SIGKILL leaves it so), so
 * it is told as interrupted; `capital state show` prints the state as stored.
 */
export function describeRun(opened: OpenedRun | undefined, plan: SeedPlan): string {
  if (opened === undefined) return `this sink keeps no runs; ${plan.reason}`;
  const { run } = opened;
  const pages = `${opened.pagesStored} page${opened.pagesStored === 1 ? '' : 's'} stored`;
  const head = opened.resumed ? `resuming run ${run.id} (interrupted, ${pages})` : `new run ${run.id}`;
  return `${head}, --write ${run.disposition}; ${plan.reason}`;
}
