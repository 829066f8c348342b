// Limiter benchmark: EIGHT processes share ONE key at 9/s for 10 s, once per algorithm, one
// algorithm after another, on the same Redis:
//
//   redis-limiter          this library's RedisLimiter (GCRA in one Lua script, one sleep)
//   counter+sleep          a fixed 1 s window counter (INCR + PEXPIRE), sleeping 0.1/0.4/0.8/1.3/2 s — the baseline
//   rate-limiter-flexible  RateLimiterRedis (points 9, duration 1), waiting msBeforeNext when refused
//
// Reported per algorithm, all times in Redis time:
//   over-limit windows  grants that open a 1 s window [t, t+1000) holding more than 9 grants
//   most in 1 s         the most grants in any 1 s window
//   used                grants within the run / what 9/s allowed over it
//   cmds/grant          Redis commands sent per grant (a Lua script is one command), including
//                       the attempts a polling algorithm abandons when the run ends
//   RT/grant            round trips per grant (a pipeline is one)
//   p99 added latency   99th percentile of grant time minus request time
//   fewest/fair share   the least-served process's grants / (all grants / processes)
//
// Run after `pnpm build` (the workers import packages/core/dist): `node bench/limiter/limiter-bench.mjs`.
// REDIS_URL chooses the Redis (default redis://127.0.0.1:6379); keys live under a random prefix
// and are deleted afterwards.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { receiverBench } from './receiver-bench.mjs';

const worker = fileURLToPath(new URL('./limiter-bench-worker.mjs', import.meta.url));
const built = new URL('../../packages/core/dist/limit/redis-limiter.js', import.meta.url);
const algorithms = ['redis-limiter', 'counter+sleep', 'rate-limiter-flexible'];
const baseline = 'counter+sleep';

/** Runs one algorithm in `processes` workers for `durationMs`; resolves to the workers' reports. */
async function runAlgorithm(algorithm, { processes, durationMs, limit, redisUrl, prefix }) {
  const children = Array.from({ length: processes }, () =>
    fork(worker, [algorithm, redisUrl, prefix, String(limit)], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const reports = children.map(
    (child) =>
      new Promise((resolve, reject) => {
        child.on('message', (message) => message.type === 'done' && resolve(message));
        child.once('exit', (code) =>
          reject(new Error(`a ${algorithm} worker exited with ${code} before reporting`)),
        );
      }),
  );
  const ready = children.map((child) => new Promise((resolve) => child.once('message', resolve)));
  try {
    await Promise.all(ready);
    for (const child of children) child.send({ type: 'go', durationMs });
    return await Promise.all(reports);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

/** The most grants in any window [t, t + periodMs). */
function busiestWindow(times, periodMs) {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] - times[i] < periodMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** How many grants open a window [t, t + periodMs) with more than `limit` grants. */
function overLimitWindows(times, limit, periodMs) {
  let count = 0;
  for (let i = 0; i + limit < times.length; i++) if (times[i + limit] - times[i] < periodMs) count++;
  return count;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Turns the workers' reports into one row of the table. */
function summarise(algorithm, reports, { durationMs, limit, processes }) {
  const periodMs = 1000;
  const start = Math.min(...reports.map((report) => report.startedAt));
  const all = reports.flatMap((report) => report.grants);
  const times = all.map((grant) => grant.grantedAt).sort((a, b) => a - b);
  const inRun = times.filter((time) => time >= start && time < start + durationMs).length;
  const commands = reports.reduce((sum, report) => sum + report.commands, 0);
  const roundTrips = reports.reduce((sum, report) => sum + report.roundTrips, 0);
  const perProcess = reports.map((report) => report.grants.length);
  return {
    algorithm,
    grants: all.length,
    overLimitWindows: overLimitWindows(times, limit, periodMs),
    busiestWindow: busiestWindow(times, periodMs),
    used: inRun / ((limit * durationMs) / periodMs),
    commandsPerGrant: commands / all.length,
    roundTripsPerGrant: roundTrips / all.length,
    p99AddedLatencyMs: percentile(
      all.map((grant) => grant.grantedAt - grant.requestedAt),
      99,
    ),
    fewestPerProcess: Math.min(...perProcess) / (all.length / processes),
  };
}

function printTable(rows, { processes, limit, durationMs }) {
  const base = rows.find((row) => row.algorithm === baseline);
  const columns = [
    ['algorithm', (row) => row.algorithm],
    ['grants', (row) => String(row.grants)],
    ['over-limit windows', (row) => String(row.overLimitWindows)],
    ['most in 1 s', (row) => String(row.busiestWindow)],
    ['used', (row) => `${(row.used * 100).toFixed(1)} %`],
    ['cmds/grant', (row) => row.commandsPerGrant.toFixed(2)],
    ['RT/grant', (row) => row.roundTripsPerGrant.toFixed(2)],
    ['p99 added latency', (row) => `${Math.round(row.p99AddedLatencyMs)} ms`],
    ['fewest/fair share', (row) => row.fewestPerProcess.toFixed(2)],
    [
      'p99 vs baseline',
      (row) => (base ? `×${(row.p99AddedLatencyMs / base.p99AddedLatencyMs).toFixed(2)}` : ''),
    ],
    [
      'cmds vs baseline',
      (row) => (base ? `×${(row.commandsPerGrant / base.commandsPerGrant).toFixed(2)}` : ''),
    ],
  ];
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  console.log(
    `\n${processes} processes, one key, ${limit}/s, ${durationMs / 1000} s per algorithm (baseline: ${baseline})\n`,
  );
  for (const [index, line] of cells.entries()) {
    console.log(
      line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
}

/**
 * Runs the benchmark and prints its table; resolves to the rows, for `bench/run.mjs`.
 * @param {{ processes?: number, durationMs?: number, limit?: number, redisUrl?: string, print?: boolean }} [options]
 */
export async function main(options = {}) {
  const settings = {
    processes: options.processes ?? 8,
    durationMs: options.durationMs ?? 10_000,
    limit: options.limit ?? 9,
    redisUrl: options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
  if (!existsSync(built)) throw new Error('packages/core/dist is missing: run `pnpm build` first.');
  const { Redis } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('ioredis');
  const admin = new Redis(settings.redisUrl);
  const rows = [];
  try {
    for (const algorithm of algorithms) {
      const prefix = `capital-bench:limiter:${randomUUID().slice(0, 8)}:`;
      try {
        rows.push(summarise(algorithm, await runAlgorithm(algorithm, { ...settings, prefix }), settings));
      } finally {
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length > 0) await admin.del(...keys);
      }
    }
  } finally {
    await admin.quit();
  }
  if (options.print ?? true) printTable(rows, settings);
  // Then as the API counts: requests sent on the permits, counted when they arrive.
  const receiver = await receiverBench({ redisUrl: settings.redisUrl, print: options.print ?? true });
  return [...rows, ...receiver.map((row) => ({ ...row, algorithm: `${row.algorithm} (receiver)` }))];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
