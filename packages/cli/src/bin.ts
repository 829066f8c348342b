#!/usr/bin/env node
import { main } from './program.js';

// SIGINT/SIGTERM abort the run: pages in flight are dropped, the sink is aborted, nothing looks complete.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort(new Error(`Interrupted by ${signal}.`)));
}

const code = await main(
  process.argv,
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  controller.signal,
);
process.exitCode = code;
