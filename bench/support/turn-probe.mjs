// What happens between two turns of the event loop, to tell a stall the crawl causes from one the
// machine causes. On a shared machine a CPU-bound process waits for a core: a wall-clock stall
// then measures the scheduler. Linux says how long the main thread ran and how long it waited
// in the run queue (/proc/self/task/PID/schedstat), which is what the crawl owes and what it
// does not; elsewhere only the process's CPU time is known (all threads: GC helpers too).
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

const schedstat = `/proc/self/task/${process.pid}/schedstat`;

/** The main thread's time on a CPU and waiting for one (ms), or undefined off Linux. */
function mainThreadTimes() {
  try {
    const [run, wait] = readFileSync(schedstat, 'utf8').split(' ').map(Number);
    return { runMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return undefined;
  }
}

/**
 * Starts probing every turn; `stop()` gives the worst gaps: `maxCpuBetweenTurnsMs` (process
 * CPU, all threads), `maxMainCpuBetweenTurnsMs` (the main thread's own: JavaScript and GC work
 * on it), and the longest gap split into the main thread's run, run-queue wait and the rest
 * (sleeping: waiting on GC helper threads or the kernel).
 */
export function startTurnProbe() {
  let probing = true;
  let lastWall = performance.now();
  let lastCpu = process.cpuUsage();
  let lastMain = mainThreadTimes();
  let maxCpuMs = 0;
  let maxMainCpuMs = lastMain === undefined ? undefined : 0;
  let longest = { wallMs: 0 };
  const probe = () => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const main = lastMain === undefined ? undefined : mainThreadTimes();
    const wallMs = wall - lastWall;
    const cpuMs = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000;
    maxCpuMs = Math.max(maxCpuMs, cpuMs);
    let split = {};
    if (main !== undefined && lastMain !== undefined) {
      const runMs = main.runMs - lastMain.runMs;
      const waitMs = main.waitMs - lastMain.waitMs;
      maxMainCpuMs = Math.max(maxMainCpuMs ?? 0, runMs);
      split = { mainRunMs: runMs, runQueueMs: waitMs, otherMs: Math.max(0, wallMs - runMs - waitMs) };
    }
    if (wallMs > longest.wallMs) longest = { wallMs, processCpuMs: cpuMs, ...split };
    lastWall = wall;
    lastCpu = cpu;
    lastMain = main;
    if (probing) setImmediate(probe);
  };
  setImmediate(probe);
  return {
    stop() {
      probing = false;
      const round = (value) => (value === undefined ? undefined : +value.toFixed(1));
      return {
        maxCpuBetweenTurnsMs: round(maxCpuMs),
        maxMainCpuBetweenTurnsMs: round(maxMainCpuMs),
        longestTurnGap: Object.fromEntries(
          Object.entries(longest).map(([key, value]) => [key, round(value)]),
        ),
      };
    },
  };
}

/**
 * The longest stall of a process that is busy the way a fast crawl is: it computes for 4 ms,
 * lets the event loop turn, and again, for `durationMs`. What the machine alone makes any
 * CPU-bound process wait (an idle process is woken first, so it shows less).
 */
export async function busyLoopStall(durationMs = 2000) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const probe = startTurnProbe();
  const end = performance.now() + durationMs;
  let sink = 0;
  while (performance.now() < end) {
    const sliceEnd = performance.now() + 4;
    while (performance.now() < sliceEnd) sink += Math.sqrt(sink + 1);
    await nextTurn();
  }
  delay.disable();
  const turns = probe.stop();
  return {
    maxStallMs: +(delay.max / 1e6).toFixed(1),
    maxMainCpuBetweenTurnsMs: turns.maxMainCpuBetweenTurnsMs,
    sink,
  };
}
