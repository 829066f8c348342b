import { describeConnector } from '@capital/core/conformance';
import { connector } from './connector.js';
import { generateListings, searchListings } from './emulator/dataset.js';
import { startEmulator } from './emulator/server.js';

// The kit's whole suite against the World Trading Data emulator: no latency, and a rolling
// window short enough that waiting out its 429s takes milliseconds.
describeConnector({
  connector,
  params: { search: 'new york' },
  startEmulator: ({ tokens, rateLimit, faults }) =>
    startEmulator({ tokens, rateLimit, latencyMs: 0, ...faults }),
  expected: () => searchListings(generateListings(), 'new york').map((listing) => listing.symbol),
  rateLimit: { limit: 3, windowMs: 100 },
});
