import type { Connector, RunInfo } from '@capital/core';
import { jobName } from '@capital/sinks';
import type { Command } from 'commander';
import type { ProgramIo } from '../program.js';
import { defaultOutPath } from '../run-command.js';
import { describeSinkTarget, openSink, parseSinkFlag } from '../sink-from-flags.js';
import { addConnectorParams, readConnectorParams } from './connector-params.js';

/** The flags of `capital state show|reset`, as commander hands them over. */
export type StateFlags = {
  readonly out?: string;
  readonly sink?: string;
  readonly table?: string;
  readonly json?: boolean;
  readonly [param: string]: string | boolean | undefined;
};

/**
 * Adds `capital state show|reset CONNECTOR --PARAM … [--sink T]`: the runs and watermark of the
 * job `capital run` with the same arguments writes, printed or forgotten.
 *
 * @example registerStateCommands(program, io) // in buildProgram, beside `run`
 */
export function registerStateCommands(program: Command, io: ProgramIo): void {
  const state = program.command('state').description("print or clear a job's runs and watermark");
  for (const [name, description] of [
    ['show', "print a job's runs (newest first) and its watermark"],
    ['reset', "forget a job's runs, page checkpoints and watermark: its next run starts afresh"],
  ] as const) {
    const command = state
      .command(name)
      .description(description)
      .argument('[connector]', 'the connector name, e.g. wtd')
      .option('--connector <path>', 'load the connector from a module that exports `connector`')
      .option('--out <path>', 'the NDJSON file of the job (default: data/NAME-PARAMS.ndjson)')
      .option('--sink <target>', 'the sink of the job, as given to capital run')
      .option('--table <name>', 'the PostgreSQL table, as given to capital run');
    if (name === 'show') command.option('--json', 'print one JSON object');
    const connectorOf = addConnectorParams(state, command, io.cwd);
    command.action(async (_connector: string | undefined, flags: StateFlags) => {
      await stateCommand(name, connectorOf(), flags, io);
    });
  }
}

/** Prints or clears the runs of the job the flags name. */
export async function stateCommand(
  action: 'show' | 'reset',
  connector: Connector,
  flags: StateFlags,
  io: ProgramIo,
): Promise<void> {
  const params = readConnectorParams(connector, flags);
  const target = parseSinkFlag(flags.sink ?? `file:${flags.out ?? defaultOutPath(connector, params)}`);
  const job = jobName(connector.name, params);
  const sink = openSink(target, connector, { table: flags.table, seed: connector.seeds(params)[0], job });
  const where = describeSinkTarget(target);
  try {
    if (!sink.runs) {
      io.stdout.write(`${where} keeps no runs: every run of ${job} is a new one.\n`);
      return;
    }
    if (action === 'reset') {
      const removed = await sink.runs.reset();
      io.stdout.write(`forgot ${removed} run${removed === 1 ? '' : 's'} of ${job} at ${where}.\n`);
      return;
    }
    const runs = await sink.runs.list();
    if (flags.json === true) {
      io.stdout.write(`${JSON.stringify({ job, sink: where, runs })}\n`);
      return;
    }
    io.stdout.write(describeRuns(job, where, runs));
  } finally {
    // Opens no run, so aborting only lets go of the connections.
    await sink.abort();
  }
}

/** The job, its watermark, and a table of its runs. */
export function describeRuns(job: string, where: string, runs: readonly RunInfo[]): string {
  const watermark = runs.find((run) => run.state === 'finished' && run.watermark !== undefined)?.watermark;
  const lines = [
    `job ${job} at ${where}`,
    `watermark: ${watermark ?? 'none (the next run is a full refresh)'}`,
    runs.length === 0
      ? 'no runs'
      : 'run       state        write    pages  started                   finished',
    ...runs.map((run) =>
      [
        run.id.padEnd(8),
        run.state.padEnd(11),
        run.disposition.padEnd(7),
        String(run.pages).padStart(6),
        new Date(run.startedAt).toISOString(),
        run.finishedAt === undefined ? '-' : new Date(run.finishedAt).toISOString(),
        ...(run.since === undefined ? [] : [`since ${run.since}`]),
        ...(run.resumeAt === undefined || run.state !== 'interrupted'
          ? []
          : [`deferred: resumes at ${new Date(run.resumeAt).toISOString()}`]),
      ]
        .join('  ')
        .trimEnd(),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
