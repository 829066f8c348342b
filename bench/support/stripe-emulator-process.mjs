// Runs the Stripe emulator in its own process for `pnpm bench stripe`: a sandbox account's limits
// (25/s global and per endpoint, 8 in flight), 20 ms latency, 20,000 charges and 500 invoices
// with their lines. Prints the URL, then serves until stdin closes.
// Usage: node stripe-emulator-process.mjs LATENCY_MS CHARGES INVOICES TOKEN...
import { generateAccount, startEmulator } from '@capital/stripe-connector/testing';

const [latency = '20', charges = '20000', invoices = '500', ...tokens] = process.argv.slice(2);
const emulator = await startEmulator({
  account: generateAccount({ charges: Number(charges), invoices: Number(invoices), seed: 2026 }),
  latencyMs: Number(latency),
  tokens,
});
process.stdout.write(`${emulator.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => emulator.close().then(() => process.exit(0)));
