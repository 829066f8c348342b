// The official `stripe` package for `pnpm bench stripe`, pointed at the emulator with its
// host/port/protocol settings: auto-pagination (`for await … of stripe.charges.list({ limit: 100 })`),
// or for invoices the sequential loop over each invoice's lines. Writes NDJSON to a file stream
// and fsyncs it at the end, as the file sink does. `maxNetworkRetries: 5` (the default is lower)
// so that its 429s, which carry `Stripe-Should-Retry: true`, are retried rather than fatal.
// Prints { wallMs, records } as JSON.
// Usage: node stripe-sdk-process.mjs URL TOKEN OUT charges|invoices-with-lines
import { closeSync, createWriteStream, fsyncSync, openSync } from 'node:fs';
import Stripe from 'stripe';

const [url, token, out, what] = process.argv.slice(2);
const { hostname, port } = new URL(url);
const stripe = new Stripe(token, {
  host: hostname,
  port: Number(port),
  protocol: 'http',
  maxNetworkRetries: 5,
});
const file = createWriteStream(out);
let records = 0;
const write = (object) => {
  records += 1;
  // Backpressure as a careful loop would: wait for the stream to drain.
  if (!file.write(`${JSON.stringify(object)}\n`))
    return new Promise((resolve) => file.once('drain', resolve));
};

const started = performance.now();
if (what === 'charges') {
  for await (const charge of stripe.charges.list({ limit: 100 })) await write(charge);
} else {
  for await (const invoice of stripe.invoices.list({ limit: 100 })) {
    await write(invoice);
    for await (const line of stripe.invoices.listLineItems(invoice.id, { limit: 100 })) await write(line);
  }
}
await new Promise((resolve) => file.end(resolve));
const fd = openSync(out, 'r+');
fsyncSync(fd);
closeSync(fd);
process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - started, records })}\n`);
