// Runs the World Trading Data emulator in its own process, so that a benchmark's client does not
// share a CPU with the server's event loop. Prints the URL, then serves until stdin closes.
// Usage: node emulator-process.mjs LATENCY_MS
import { startEmulator } from '@capital/wtd-connector/testing';

const emulator = await startEmulator({
  rateLimit: false,
  latencyMs: Number(process.argv[2] ?? 0),
  tokens: ['bench'],
});
process.stdout.write(`${emulator.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => emulator.close().then(() => process.exit(0)));
