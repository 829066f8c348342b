import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** Starts the emulator in a child process and resolves with its URL and a stop function. */
export async function startChildEmulator(latencyMs) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./emulator-process.mjs', import.meta.url)), String(latencyMs)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const [chunk] = await once(child.stdout, 'data');
  return {
    url: String(chunk).trim(),
    stop: async () => {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}
