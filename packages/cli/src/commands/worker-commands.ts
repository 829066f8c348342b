import type { Command } from 'commander';
import type { ProgramIo } from '../program.js';
import { addMetricsOptions, type MetricsFlags } from '../telemetry/metrics-flags.js';
import { addConnectorParams } from './connector-params.js';
import { type DashboardFlags, dashboardCommand } from './dashboard-command.js';
import { type EnqueueFlags, enqueueCommand } from './enqueue-command.js';
import { type FailedFlags, failedCommand, retryCommand } from './failed-command.js';
import { addQueueOptions, type QueueFlags } from './queue-flags.js';
import { type StatusFlags, statusCommand } from './status-command.js';
import { type WorkerFlags, workerCommand } from './worker-command.js';

/** The workers' `--lock-duration`, for the commands that tell a stalled task from a running one. */
const lockDurationOption = [
  '--lock-duration <ms>',
  "the workers' --lock-duration: a task whose lock has less than a quarter of it left is stalled",
  '30000',
] as const;

/**
 * Adds the commands that run one crawl on many workers through a BullMQ queue in Redis:
 * `enqueue`, `worker`, `status`, `failed` and `retry`.
 *
 * @example registerWorkerCommands(program, io, signal) // in buildProgram, beside `run`
 */
export function registerWorkerCommands(program: Command, io: ProgramIo, signal: AbortSignal): void {
  const enqueue = addQueueOptions(
    program
      .command('enqueue')
      .description("put a connector's seed tasks on a crawl's queue, for `capital worker` processes to run")
      .argument('[connector]', 'the connector name, e.g. wtd')
      .option('--connector <path>', 'load the connector from a module that exports `connector`'),
  )
    .option('--base-url <url>', "the API's base URL, carried by every task (default: each worker's)")
    .option(
      '--sink <target>',
      "the workers' sink (postgres://… or kafka://…): opens the crawl's run there, which the tasks carry and the workers finish",
    )
    .option('--table <name>', 'the PostgreSQL table, as given to the workers')
    .option(
      '--write <disposition>',
      'with --sink: append, merge or replace (PostgreSQL; Kafka: merge), kept with the run for every worker (default: merge)',
    )
    .option(
      '--resume <run>',
      'with --sink: resume this unfinished run (default: the latest unfinished run of the job)',
    )
    .option('--fresh', 'with --sink: start a new run even if the last one did not finish')
    .option(
      '--since <date>',
      "with --sink: an incremental connector asks from this point, over the job's watermark",
    )
    .option('--attempts <n>', 'attempts of a task before it fails for good', '6')
    .option('--wait', 'wait until the crawl is over; exit 1 if any task failed')
    .option(...lockDurationOption)
    .option('--quiet', 'no progress on stderr while waiting');
  const connectorOf = addConnectorParams(program, enqueue, io.cwd);
  enqueue.action(async (_name: string | undefined, flags: EnqueueFlags) => {
    await enqueueCommand(connectorOf(), flags, io, signal);
  });

  const worker = addQueueOptions(
    program
      .command('worker')
      .description(
        "run a crawl's tasks from its queue until SIGINT or SIGTERM (then finish those in flight)",
      ),
  )
    .option(
      '--sink <target>',
      "where pages go: postgres://USER@HOST:PORT/DB or kafka://…; each page is stored as its run's --write says (a replayed page once)",
    )
    .option(
      '--table <name>',
      'the PostgreSQL table (default: named after the task type, e.g. wtd_stock_search)',
    )
    .option('--concurrency <n>', 'tasks run at once by this process', '4')
    .option('--rate <rate>', "the shared rate limit, as 9/1s, or off (default: each connector's own)")
    .option('--limiter-prefix <prefix>', 'namespace of the limiter keys in Redis (default: capital:limit:)')
    .option('--lock-duration <ms>', "a task's lock; a dead worker's tasks are run again after it", '30000')
    .option(
      '--base-url <url>',
      "the API's base URL for tasks that carry none (default: the connector's); tasks may also carry it",
    )
    .option(
      '--allow-base-url <url...>',
      'more base URLs tasks may carry; a task carrying any other is refused (its credential goes there)',
    )
    .option(
      '--allow-credential <reference...>',
      "more credential references to resolve, e.g. env:WTD_TOKEN_2 (default: only each connector's own)",
    )
    .option('--timeout <ms>', 'per-request timeout in ms')
    .option(
      '--defer-after <duration>',
      'when the API asks for a longer pause, delay the task until it ends instead of spending an attempt, as 5m or 1h, or off (default: 5m)',
    )
    .option('--connector <path...>', 'also serve the connectors these modules export');
  addMetricsOptions(worker).action(async (flags: WorkerFlags & MetricsFlags) => {
    await workerCommand(flags, io, signal);
  });

  addQueueOptions(
    program
      .command('status')
      .description(
        "a crawl's state (running, stalled, complete, failed: exit 1), counts and pages per second",
      ),
  )
    .option('--window <seconds>', 'measure pages per second over this many seconds', '10')
    .option(...lockDurationOption)
    .option('--json', 'print one JSON object')
    .action(async (flags: StatusFlags) => {
      await statusCommand(flags, io);
    });

  addQueueOptions(program.command('failed').description("list a crawl's failed tasks with their reasons"))
    .option('--limit <n>', 'at most this many, the most recent first', '100')
    .option('--json', 'one JSON object per line')
    .action(async (flags: FailedFlags) => {
      await failedCommand(flags, io);
    });

  program
    .command('dashboard')
    .description("serve a live page of the crawls' queues, workers, rates and failures")
    .option(
      '--redis <url>',
      'the Redis that holds the queues (default: REDIS_URL, else redis://127.0.0.1:6379)',
    )
    .option('--queue <name...>', 'the queues to show (default: every queue under the prefix)')
    .option('--prefix <prefix>', 'namespace of the queue keys in Redis (default: capital:queue)')
    .option('--port <n>', 'the port (0: any free one)', '8080')
    .option('--host <address>', 'the address to bind; loopback by default', '127.0.0.1')
    .action(async (flags: DashboardFlags) => {
      await dashboardCommand(flags, io, signal);
    });

  addQueueOptions(program.command('retry').description("move a crawl's failed tasks back to waiting")).action(
    async (flags: QueueFlags) => {
      await retryCommand(flags, io);
    },
  );
}
