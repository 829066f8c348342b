// Receiver-side figures of the limiter benchmark: EIGHT processes share ONE key at 9/s for 10 s
// and send one HTTP request per permit to one local API that allows 10 requests per rolling
// second and counts them as they ARRIVE (what a real API does), answering 429 above that.
//
//   redis-limiter          this library at a known rate (9/s), permits checked when the request is written
//   …, no send bound       the same, permits not checked again (exact at the grant only): the control
//   auto                   the rate learnt from the API (`--rate auto`): from 1/s, taught only by 429s here
//   rate-limiter-flexible  RateLimiterRedis (points 9, duration 1 s), waiting msBeforeNext when refused
//
// Reported per algorithm, the median of several runs:
//   over-limit windows  arrivals that open a rolling second [t, t+1000) holding more than 10 arrivals
//   most in 1 s         the most arrivals in any rolling second
//   used                requests the API admitted / what its true limit (10/s) allowed over the run
//   429s                requests the API refused
//   p99 send delay      grant-to-send delay, 99th percentile (redis-limiter only)
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RollingWindowLimiter } from '../../packages/core/dist/testing/emulator/rolling-window-limiter.js';

const worker = fileURLToPath(new URL('./receiver-bench-worker.mjs', import.meta.url));
/** The rows, in order. */
const algorithms = ['redis-limiter', 'redis-limiter, no send bound', 'auto', 'rate-limiter-flexible'];

/** The API: 10 per rolling second per key, counted at arrival; arrival times kept. */
async function startApi(trueLimit) {
  const limiter = new RollingWindowLimiter({ limit: trueLimit, windowMs: 1000 });
  const arrivals = [];
  const statuses = {};
  const server = createServer((request, response) => {
    const now = performance.now();
    arrivals.push(now);
    const decision = limiter.check('shared', now);
    const status = decision.allowed ? 200 : 429;
    statuses[status] = (statuses[status] ?? 0) + 1;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end('{}');
    request.resume();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    arrivals,
    statuses,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function overLimitWindows(times, limit) {
  let count = 0;
  for (let i = 0; i + limit < times.length; i++) if (times[i + limit] - times[i] < 1000) count++;
  return count;
}

function busiest(times) {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] - times[i] < 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
};

async function runOnce(algorithm, settings) {
  const api = await startApi(settings.trueLimit);
  const prefix = `capital-bench:receiver:${randomUUID().slice(0, 8)}:`;
  const children = Array.from({ length: settings.processes }, () =>
    fork(worker, [algorithm, settings.redisUrl, prefix, String(settings.rate), api.url], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    const ready = children.map((child) => new Promise((resolve) => child.once('message', resolve)));
    const reports = children.map(
      (child) =>
        new Promise((resolve, reject) => {
          child.on('message', (message) => message.type === 'done' && resolve(message));
          child.once('exit', (code) => reject(new Error(`a ${algorithm} worker exited with ${code}`)));
        }),
    );
    await Promise.all(ready);
    const startedAt = performance.now();
    for (const child of children) child.send({ type: 'go', durationMs: settings.durationMs });
    const done = await Promise.all(reports);
    const elapsedMs = performance.now() - startedAt;
    const times = [...api.arrivals].sort((a, b) => a - b);
    return {
      overLimitWindows: overLimitWindows(times, settings.trueLimit),
      busiest: busiest(times),
      used: (api.statuses[200] ?? 0) / ((settings.trueLimit * elapsedMs) / 1000),
      refused: api.statuses[429] ?? 0,
      p99SendDelayMs: percentile(
        done.flatMap((report) => report.sendDelaysMs),
        0.99,
      ),
      spent: done.reduce((sum, report) => sum + report.spent, 0),
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await api.close();
    const { Redis } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('ioredis');
    const admin = new Redis(settings.redisUrl);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  }
}

/**
 * Runs each algorithm `runs` times and prints the medians; resolves to the rows.
 * @param {{ processes?: number, durationMs?: number, rate?: number, trueLimit?: number, runs?: number, redisUrl?: string, print?: boolean }} [options]
 */
export async function receiverBench(options = {}) {
  const settings = {
    processes: options.processes ?? 8,
    durationMs: options.durationMs ?? 10_000,
    rate: options.rate ?? 9,
    trueLimit: options.trueLimit ?? 10,
    runs: options.runs ?? 3,
    redisUrl: options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
  const rows = [];
  for (const algorithm of algorithms) {
    const runs = [];
    for (let run = 0; run < settings.runs; run++) runs.push(await runOnce(algorithm, settings));
    const pick = (field) => median(runs.map((run) => run[field]));
    rows.push({
      algorithm,
      overLimitWindows: pick('overLimitWindows'),
      busiest: pick('busiest'),
      used: pick('used'),
      refused: pick('refused'),
      p99SendDelayMs: pick('p99SendDelayMs'),
      spent: pick('spent'),
      runs: runs.length,
    });
  }
  if (options.print ?? true) printTable(rows, settings);
  return rows;
}

function printTable(rows, settings) {
  const columns = [
    ['algorithm', (row) => row.algorithm],
    ['over-limit windows', (row) => String(row.overLimitWindows)],
    ['most in 1 s', (row) => String(row.busiest)],
    ['used of true limit', (row) => `${(row.used * 100).toFixed(1)} %`],
    ['429s', (row) => String(row.refused)],
    [
      'p99 send delay',
      (row) => (Number.isNaN(row.p99SendDelayMs) ? '—' : `${row.p99SendDelayMs.toFixed(1)} ms`),
    ],
    ['late permits spent', (row) => String(row.spent)],
  ];
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  console.log(
    `\nAt the receiver: ${settings.processes} processes, one key, ${settings.rate}/s, against an API of ` +
      `${settings.trueLimit} per rolling second counting arrivals; ${settings.durationMs / 1000} s, median of ${settings.runs} runs\n`,
  );
  for (const [index, line] of cells.entries()) {
    console.log(
      line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
  console.log(
    'Goal: 0 windows over the true limit as the server counts, no 429, at a known rate. `auto` starts at 1/s ' +
      'and is taught only by 429s (this API sends no rate-limit headers): its 429s and windows are what learning costs ' +
      'over the whole run; `pnpm bench limiter-auto` measures it after convergence.',
  );
}
