#!/usr/bin/env node
import { lingeringWarning } from './lingering-warning.js';
import { main } from './program.js';
import { settleWithin } from './settle-within.js';
import { stopOnSignals } from './stop-on-signals.js';
import { startOpenTelemetry } from './telemetry/open-telemetry.js';

// SIGINT/SIGTERM abort the run: pages in flight are dropped, the sink is aborted, nothing looks
// complete. A second one exits at once.
const signal = stopOnSignals(process);
// Exports spans and metrics over OTLP only when the OTEL_* variables ask for it.
const telemetry = await startOpenTelemetry(process.env);

const code = await main(
  process.argv,
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  signal,
);
process.exitCode = code;
if (telemetry !== undefined) {
  await settleWithin(
    'exporting telemetry',
    () => telemetry.shutdown(),
    5000,
    (message) => process.stderr.write(`capital: warning: ${message}\n`),
  );
}
// Every shutdown step is bounded, but a socket some library left open would still keep the
// process alive after its work is done: give the event loop a moment to drain, then exit. The
// timer is unref'd, so it never delays a process that exits by itself. When it fires, it names
// what was left open, so that a leak is seen (and tests fail on it) instead of costing 5 s.
setTimeout(() => {
  process.stderr.write(`${lingeringWarning(process.getActiveResourcesInfo())}\n`);
  process.exit(code);
}, 5000).unref();
