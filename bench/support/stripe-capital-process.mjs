// One Capital run for `pnpm bench stripe`, in a process of its own as `capital run` would be:
// the Stripe connector through `runConnector`, its default rate and concurrency, NDJSON through
// the file sink (fsync before the rename). Prints { wallMs, records, requests } as JSON.
// Usage: node stripe-capital-process.mjs URL TOKEN OUT OBJECT [--with-lines] [--rate R]
import { runConnector } from '@capital/cli';
import { createCredentialResolver, MemoryLimiter } from '@capital/core';
import { FileSink } from '@capital/sinks';
import { connector } from '@capital/stripe-connector';

const [url, token, out, object, ...flags] = process.argv.slice(2);
const rateAt = flags.indexOf('--rate');
const rate = rateAt >= 0 ? flags[rateAt + 1] : connector.defaultRate;
const started = performance.now();
const summary = await runConnector({
  connector,
  params: { object, ...(flags.includes('--with-lines') ? { 'with-lines': 'true' } : {}) },
  sink: new FileSink({ path: out, recordKey: (record) => record.id }),
  baseUrl: url,
  resolveCredential: createCredentialResolver({}, { STRIPE_API_KEY: token }),
  limiter: new MemoryLimiter({ rate }),
});
process.stdout.write(
  `${JSON.stringify({ wallMs: performance.now() - started, records: summary.records, requests: summary.requests })}\n`,
);
