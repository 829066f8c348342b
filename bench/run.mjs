// `pnpm bench [name…]`: runs each benchmark in a process of its own (so one's memory never
// counts against another's) and prints their reports. Benchmarks are not tests: they measure,
// print ratios against a baseline measured in the same run, and say whether each goal was met.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = [
  {
    name: 'crawl-memory',
    file: 'crawl-memory.mjs',
    flags: [],
    note: '1 GB of ~1 MB pages through crawl → file, Node defaults',
  },
  {
    name: 'crawl-memory-small-young-gen',
    file: 'crawl-memory.mjs',
    flags: ['--max-semi-space-size=4'],
    note: 'the same with a 4 MB young generation (V8 keeps less garbage between scavenges)',
  },
  {
    name: 'crawl-scale',
    file: 'crawl-scale.mjs',
    flags: ['--expose-gc'],
    note: 'a 10M-page cursor chain and a 1M fan-out through crawl: heap after GC, event-loop stalls',
  },
  { name: 'wtd-throughput', file: 'wtd-throughput.mjs', flags: [], note: 'capital vs a hand-written loop' },
  {
    name: 'wtd-cpu',
    file: 'wtd-cpu.mjs',
    flags: [],
    note: "wtd-throughput's sides with the pages replayed from memory: each side's CPU per page",
  },
  {
    name: 'completeness-cpu',
    file: 'completeness-cpu.mjs',
    flags: [],
    note: "checkCompleteness's CPU per page of 50 records, a new ledger a run of 94 pages, no I/O; plain and churned",
  },
  {
    name: 'digest-set-move',
    file: 'digest-set-move.mjs',
    flags: ['--expose-gc'],
    note: "the ledger's key set filled to 2M digests: its doublings, its move into a DigestTable, longest adds",
  },
  { name: 'limiter', file: 'limiter/limiter-bench.mjs', flags: [], note: 'Redis limiters, 8 processes, 9/s' },
  {
    name: 'limiter-auto',
    file: 'limiter/auto-rate-bench.mjs',
    flags: [],
    note: '--rate auto against an API counting 10/s at arrival: limit used and 429s after convergence',
  },
  {
    name: 'workers',
    file: 'workers.mjs',
    flags: [],
    note: '1, 2 and 4 worker processes vs the in-process crawl',
  },
  {
    name: 'sinks-postgres',
    file: 'sinks-postgres.mjs',
    flags: [],
    note: 'PostgresSink vs an INSERT loop vs psql \\copy',
  },
  {
    name: 'postgres-sink-cpu',
    file: 'sinks-postgres-cpu.mjs',
    flags: [],
    note: "PostgresSink's CPU per 50,000 rows (append), which a shared machine's load hardly moves",
  },
  {
    name: 'stripe',
    file: 'stripe.mjs',
    flags: [],
    note: 'Stripe connector vs the official stripe package, sandbox limits, 20 ms latency',
  },
  {
    name: 'sinks-kafka',
    file: 'sinks-kafka.mjs',
    flags: [],
    note: 'Kafka sink vs the raw producer, same settings',
  },
];

const wanted = process.argv.slice(2);
const selected = benches.filter(
  (bench) => wanted.length === 0 || wanted.some((name) => bench.name.startsWith(name)),
);
if (selected.length === 0) {
  console.error(
    `No benchmark named ${wanted.join(', ')}; there are: ${benches.map((bench) => bench.name).join(', ')}.`,
  );
  process.exit(2);
}
let failed = 0;
for (const bench of selected) {
  console.log(`\n== ${bench.name}: ${bench.note}`);
  const file = fileURLToPath(new URL(bench.file, import.meta.url));
  const result = spawnSync(process.execPath, [...bench.flags, file], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.log(`(${bench.name} exited with ${result.status ?? result.signal})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
