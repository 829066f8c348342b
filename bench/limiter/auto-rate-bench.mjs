// Auto-rate benchmark (`pnpm bench limiter-auto`): THREE processes, four requests in flight
// each, share ONE account against an emulated API that allows 10 requests per rolling second
// and counts them as they ARRIVE. Per scenario, several runs of 70 s each:
//
//   auto, headers     --rate auto; the API states its limit only in RateLimit-* headers
//   auto, bare 429    --rate auto; the API says nothing but a 429 without Retry-After
//   fixed 9/1s        the known-rate baseline: what a user who knows the limit sets
//
// Reported per scenario (medians of the runs), counted at the server, after convergence (the
// first 30 s are left out: the learnt rate starts at 1/s, and a rate change reaches the wire
// only after the permits already reserved, 12 of them, at the old rate):
//   used      requests admitted / what 10/s allows           goal with auto ≥ 0.9
//   429s      requests answered 429 / requests               goal with auto ≤ 1 %
//   windows   arrivals that open a 1 s window holding more than 10 arrivals (the server refused
//             the excess: each is a moment the clients asked for more than the limit)
//   learnt    the learnt rate at the end (auto only)
//
// Run after `pnpm build`. REDIS_URL chooses the Redis; keys live under a random prefix and
// are deleted afterwards. The machine is shared: the load average is printed with the figures.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from '../support/stats.mjs';

const worker = fileURLToPath(new URL('./auto-rate-bench-worker.mjs', import.meta.url));
const testing = new URL('../../packages/core/dist/testing.js', import.meta.url);
const { startEmulatorServer, bearerAuth, jsonResponse } = await import(testing);
// ioredis is core's dependency, not the root's.
const { Redis } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('ioredis');

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const limit = 10;
const processes = 3;
const concurrency = 4;
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 70_000);
const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 30_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const allScenarios = [
  { name: 'auto, headers', mode: 'auto', headers: 'ratelimit' },
  { name: 'auto, bare 429', mode: 'auto', headers: 'none' },
  { name: 'fixed 9/1s', mode: '9/1s', headers: 'none' },
];
// BENCH_ONLY=bare (a part of a scenario's name) runs only the scenarios that match.
const scenarios = allScenarios.filter((scenario) => scenario.name.includes(process.env.BENCH_ONLY ?? ''));

async function runOnce(scenario) {
  const token = `bench-${randomUUID().slice(0, 8)}`;
  const prefix = `capital-bench:auto:${randomUUID().slice(0, 8)}:`;
  const emulator = await startEmulatorServer({
    routes: [{ method: 'GET', path: '/v1/item', handle: () => jsonResponse(200, { ok: true }) }],
    auth: bearerAuth({ tokens: [token] }),
    rateLimits: {
      layers: [{ name: 'account', limit, windowMs: 1000 }],
      headers: scenario.headers,
      retryAfter: false,
    },
  });
  const children = Array.from({ length: processes }, () =>
    fork(worker, [scenario.mode, redisUrl, prefix, emulator.url, token, String(concurrency)], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    const ready = children.map((child) => new Promise((resolve) => child.once('message', resolve)));
    const done = children.map(
      (child) =>
        new Promise((resolve, reject) => {
          child.on('message', (message) => message.type === 'done' && resolve(message));
          child.once('exit', (code) => code !== 0 && reject(new Error(`a worker exited with ${code}`)));
        }),
    );
    await Promise.all(ready);
    for (const child of children) child.send({ type: 'go', durationMs });
    // BENCH_TRACE=1 prints the learnt rate and the server's counts every second.
    const trace = process.env.BENCH_TRACE === '1' ? traceEverySecond(prefix, emulator) : undefined;
    // The server's counters when convergence is assumed, and at the end.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const settled = emulator.stats();
    const settledAt = performance.now();
    const reports = await Promise.all(done);
    const end = emulator.stats();
    const endAt = performance.now();
    trace?.close();
    const admitted = (end.byStatus[200] ?? 0) - (settled.byStatus[200] ?? 0);
    const refused = (end.byStatus[429] ?? 0) - (settled.byStatus[429] ?? 0);
    const arrivals = (end.arrivals[token] ?? []).filter((time) => time >= settledAt - 1000);
    const windows = overLimitWindows(arrivals, limit, 1000);
    return {
      used: admitted / ((limit * (Math.min(endAt, settledAt + durationMs - settleMs) - settledAt)) / 1000),
      throttled: refused / Math.max(1, admitted + refused),
      windows,
      learnt: reports[0].learntRate,
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await emulator.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

function traceEverySecond(prefix, emulator) {
  const redis = new Redis(redisUrl);
  let last = { 200: 0, 429: 0 };
  const timer = setInterval(async () => {
    const keys = await redis.keys(`${prefix}*:rate`);
    const state = keys[0] ? await redis.hgetall(keys[0]) : {};
    const { byStatus } = emulator.stats();
    const now = { 200: byStatus[200] ?? 0, 429: byStatus[429] ?? 0 };
    console.log(
      `  rate ${state.r ?? '-'} w ${state.w ?? '-'}  200s ${now[200] - last[200]}  429s ${now[429] - last[429]}`,
    );
    last = now;
  }, 1000);
  timer.unref();
  const clear = timer.close.bind(timer);
  timer.close = () => {
    clear();
    void redis.quit();
  };
  return timer;
}

/** How many arrivals open a window [t, t + periodMs) with more than `limit` arrivals. */
function overLimitWindows(times, most, periodMs) {
  let count = 0;
  for (let i = 0; i + most < times.length; i++) if (times[i + most] - times[i] < periodMs) count++;
  return count;
}

const pad = (text, width) => String(text).padEnd(width);
console.log(
  `${processes} processes × ${concurrency} in flight, one account, API limit ${limit}/s counted at arrival; ` +
    `${runs} runs of ${durationMs / 1000} s per scenario, figures after the first ${settleMs / 1000} s, medians.`,
);
console.log(
  `load average before: ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')} (2 cores, shared)`,
);
console.log(
  `${pad('scenario', 16)}${pad('used', 8)}${pad('429s', 9)}${pad('windows', 9)}${pad('learnt', 8)}runs (used/429s)`,
);
let goalsMet = true;
for (const scenario of scenarios) {
  const results = [];
  for (let run = 0; run < runs; run++) results.push(await runOnce(scenario));
  const used = median(results.map((result) => result.used));
  const throttled = median(results.map((result) => result.throttled));
  const windows = median(results.map((result) => result.windows));
  const learnt =
    scenario.mode === 'auto' ? median(results.map((result) => result.learnt ?? 0)).toFixed(2) : '-';
  const each = results
    .map((result) => `${result.used.toFixed(2)}/${(result.throttled * 100).toFixed(1)}%`)
    .join(' ');
  console.log(
    `${pad(scenario.name, 16)}${pad(used.toFixed(2), 8)}${pad(`${(throttled * 100).toFixed(2)} %`, 9)}${pad(windows, 9)}${pad(learnt, 8)}${each}`,
  );
  if (scenario.mode === 'auto' && !(used >= 0.9 && throttled <= 0.01)) goalsMet = false;
}
console.log(
  `load average after: ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
);
console.log(`goals with auto (used ≥ 0.9, 429s ≤ 1 %): ${goalsMet ? 'met' : 'NOT met'}`);
