import { readFileSync } from 'node:fs';
import { isRunDeferred, redactText } from '@capital/core';
import { Command, CommanderError } from 'commander';
import { CliUsageError } from './cli-error.js';
import { addConnectorParams } from './commands/connector-params.js';
import { registerStateCommands } from './commands/state-command.js';
import { registerWorkerCommands } from './commands/worker-commands.js';
import { type EmulatorFlags, emulatorCommand } from './emulator-command.js';
import { registerNewCommand } from './new-connector/new-command.js';
import { type RunFlags, runCommand } from './run-command.js';
import { addMetricsOptions } from './telemetry/metrics-flags.js';

/** What the program reads and writes; `process`'s by default, fakes in tests. */
export type ProgramIo = {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
};

/**
 * Runs the `capital` command line and resolves with its exit code: 0 when the job did all it
 * was asked, 1 when it failed, 2 for a command line that cannot run, 75 (EX_TEMPFAIL) when the
 * API asked for a pause beyond `--defer-after` (the run is deferred, resumable), 130 when
 * interrupted.
 */
export async function main(argv: readonly string[], io: ProgramIo, signal: AbortSignal): Promise<number> {
  try {
    const program = buildProgram(io, signal);
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (signal.aborted) {
      // A failure that came before (or instead of) the stop is still worth knowing.
      if (error !== signal.reason) io.stderr.write(`capital: error: ${messageOf(error)}\n`);
      io.stderr.write('capital: interrupted; nothing was finalised.\n');
      return 130;
    }
    // `capital run` said when it can resume; the stored pages and the run are kept.
    if (isRunDeferred(error)) return exTempFail;
    const usage = error instanceof CliUsageError;
    // The last line of defence: no secret the credential resolver handed out reaches stderr.
    io.stderr.write(`capital: error: ${redactText(messageOf(error))}\n`);
    return usage ? 2 : 1;
  }
}

/** sysexits.h's EX_TEMPFAIL: a temporary failure, worth running again later. */
const exTempFail = 75;

function buildProgram(io: ProgramIo, signal: AbortSignal): Command {
  const program = new Command('capital')
    .description('Pull data from third-party APIs, one page at a time, into files, PostgreSQL or Kafka.')
    .version(cliVersion(), '-V, --version', 'print the version of capital and exit')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError();

  const run = program
    .command('run')
    .description('crawl every page of a connector into a sink')
    .argument(
      '[connector]',
      'the connector name, e.g. wtd (package @capital/NAME-connector or capital-connector-NAME)',
    )
    .option('--connector <path>', 'load the connector from a module that exports `connector`')
    .option('--out <path>', 'the NDJSON file to write (default: data/NAME-PARAMS.ndjson)')
    .option(
      '--sink <target>',
      'where pages go: file:PATH, postgres://USER@HOST:PORT/DB, kafka://HOST:PORT/TOPIC',
    )
    .option(
      '--table <name>',
      'the PostgreSQL table (default: named after the task type, e.g. wtd_stock_search)',
    )
    .option(
      '--sink-retry-budget <duration>',
      'how long the PostgreSQL sink retries a database that is unreachable, restarting or dropped the connection, as 30s, 2m or 500ms, before the run fails (default: 30s)',
    )
    .option(
      '--write <disposition>',
      'append (add records), merge (upsert by record key) or replace (swap the whole result in when the run finishes); default: replace for a file, merge for PostgreSQL and Kafka',
    )
    .option('--resume <run>', 'resume this unfinished run (default: the latest unfinished run of the job)')
    .option('--fresh', 'start a new run even if the last one did not finish')
    .option(
      '--since <value>',
      'incremental connectors: ask for records since this date or epoch seconds, over the watermark',
    )
    .option(
      '--look-back <duration>',
      "incremental connectors: ask again this far before the watermark, as 10m or 1h (default: the connector's)",
    )
    .option('--base-url <url>', "the API's base URL (default: start the connector's emulator)")
    .option(
      '--token <token>',
      "the API token (default: the connector's environment variable, e.g. WTD_API_TOKEN)",
    )
    .option(
      '--rate <rate>',
      "the rate limit, as 9/1s, off, or auto (learnt from the API's headers and 429s, in this process or, with --redis, shared by every process; auto,max=20/1s caps it) (default: the API's own)",
    )
    .option(
      '--max-retry-after <duration>',
      'read a longer Retry-After as this long, as 10m or 1h (default: 24h)',
    )
    .option(
      '--redis <url>',
      'share the rate limit with every process through this Redis (default: REDIS_URL); ' +
        'set CAPITAL_KEY_SECRET alike everywhere to key it by an HMAC of the token',
    )
    .option('--limiter-prefix <prefix>', 'namespace of the limiter keys in Redis (default: capital:limit:)')
    .option('--concurrency <n>', "requests in flight at once (default: the connector's, else 4)")
    .option(
      '--buffer <n>',
      'pages fetched ahead of the sink, beyond those in flight (default: 2 × concurrency; for ' +
        'PostgreSQL up to 20,000 records, so that small pages share a commit)',
    )
    .option('--retries <n>', 'retries of a transient failure', '5')
    .option('--timeout <ms>', 'per-request timeout in ms')
    .option(
      '--defer-after <duration>',
      'when the API asks for a longer pause (a 429 with Retry-After: 3600, a spent daily quota), store what was fetched and exit 75 to resume later, as 5m or 1h, or off (default: 5m)',
    )
    .option(
      '--allow-incomplete',
      'keep the output even when it holds less than the API said, or duplicates (the summary says what is missing)',
    )
    .option('--quiet', 'no progress on stderr');
  addMetricsOptions(run);
  // A connector's own flags (`--search`) are known once it is loaded, when commander reaches `run`.
  const runConnectorOf = addConnectorParams(program, run, io.cwd);
  run.action(async (_name: string | undefined, flags: RunFlags) => {
    await runCommand(runConnectorOf(), flags, io, signal);
  });

  const emulator = program
    .command('emulator')
    .description("serve a connector's emulator of its API on loopback")
    .argument('[connector]', 'the connector name, e.g. wtd')
    .option('--connector <path>', 'load the connector from a module that exports `connector`')
    .option('--port <n>', 'the port (0: any free one)', '0')
    .option('--rate-limit <rate>', 'requests allowed per token, as 10/1s, or off', '10/1s')
    .option('--latency <ms>', 'added to every answer', '0')
    .option('--fault-rate <share>', 'share of requests answered 5xx', '0')
    .option('--malformed-rate <share>', 'share answered 200 with a broken body', '0')
    .option('--burst-429-rate <share>', 'share answered 429 although under the limit', '0')
    .option('--token <token...>', 'tokens accepted (default: demo)');
  const emulatorConnectorOf = addConnectorParams(program, emulator, io.cwd);
  emulator.action(async (_name: string | undefined, flags: EmulatorFlags) => {
    await emulatorCommand(emulatorConnectorOf(), flags, io, signal);
  });
  registerWorkerCommands(program, io, signal);
  registerNewCommand(program, io);
  registerStateCommands(program, io);
  return program;
}

/** The version in the CLI package's package.json, which sits one folder above src/ and dist/. */
function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `\n  caused by: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
