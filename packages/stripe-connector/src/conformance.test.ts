import { describeConnector } from '@capital/core/conformance';
import { connector } from './connector.js';
import { generateAccount } from './emulator/dataset.js';
import { startEmulator } from './emulator/server.js';

// The kit's whole suite against the Stripe emulator: invoices with their lines (a parent→child
// fan-out, some invoices with more than one page of lines), no latency, and a rolling window
// short enough that waiting out its 429s takes milliseconds. The kit's limit is the account's
// global layer; the endpoint layer and the concurrency limit stay off so that every 429 the kit
// counts is one it asked for.
const account = generateAccount({ customers: 5, charges: 30, invoices: 12, longInvoiceEvery: 6, seed: 3 });

describeConnector({
  connector,
  params: { object: 'invoices', 'with-lines': 'true' },
  startEmulator: ({ tokens, rateLimit, faults }) =>
    startEmulator({
      account,
      tokens,
      latencyMs: 0,
      globalLimit: rateLimit,
      endpointLimit: false,
      concurrency: false,
      ...(faults === undefined
        ? {}
        : {
            seed: faults.seed,
            faults: {
              faultRate: faults.faultRate,
              malformedRate: faults.malformedRate,
              burst429Rate: faults.burst429Rate,
              resetRate: faults.resetRate,
              burst429RetryAfterMs: faults.burst429RetryAfterMs,
            },
          }),
    }),
  expected: () => [
    ...account.invoices.map((invoice) => invoice.id),
    ...[...account.lines.values()].flat().map((line) => line.id),
  ],
  rateLimit: { limit: 3, windowMs: 100 },
});
