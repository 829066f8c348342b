import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./workers-process.mjs', import.meta.url));

/**
 * Starts `count` worker processes (see workers-process.mjs) on a queue, sending to `baseUrl`
 * (the jobs carry it; a worker refuses a base URL it was not given), and resolves once every
 * one is connected. `stop()` closes them (each finishes its jobs in flight) and waits for them.
 */
export async function startWorkerProcesses({ count, queue, prefix, concurrency, redis, baseUrl }) {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [script, queue, prefix, String(concurrency), baseUrl], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, REDIS_URL: redis, WTD_API_TOKEN: 'bench' },
    }),
  );
  await Promise.all(
    children.map(async (child) => {
      const [chunk] = await once(child.stdout, 'data');
      if (!String(chunk).startsWith('ready')) throw new Error(`A worker said ${String(chunk)}`);
    }),
  );
  return {
    stop: async () => {
      await Promise.all(
        children.map(async (child) => {
          child.stdin.end();
          await once(child, 'exit');
        }),
      );
    },
  };
}
