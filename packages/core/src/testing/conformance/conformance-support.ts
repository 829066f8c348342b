import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { Task } from '../../task.js';
import { MemoryCheckpointSink } from '../memory-checkpoint-sink.js';
import type {
  ConformanceEmulatorOptions,
  ConformanceFaults,
  ConformanceOptions,
} from './conformance-options.js';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.js';

/** {@link ConformanceOptions} with defaults filled in. */
export type ResolvedConformance<T extends Task, D> = Required<
  Omit<ConformanceOptions<T, D>, 'expected' | 'faults'>
> & {
  readonly expected: () => Promise<readonly string[]>;
  readonly faults: Omit<ConformanceFaults, 'seed'>;
};

/** Fills in the defaults once, where the options enter the kit. */
export function resolveConformance<T extends Task, D>(
  options: ConformanceOptions<T, D>,
): ResolvedConformance<T, D> {
  const { expected } = options;
  const concurrency = options.concurrency ?? 4;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}.`);
  }
  return {
    connector: options.connector,
    startEmulator: options.startEmulator,
    params: options.params,
    expected: async () => (typeof expected === 'function' ? await expected() : expected),
    rateLimit: options.rateLimit ?? { limit: 3, windowMs: 100 },
    faults: {
      faultRate: 0.2,
      malformedRate: 0.15,
      burst429Rate: 0.1,
      resetRate: 0.1,
      burst429RetryAfterMs: 10,
      ...options.faults,
    },
    faultSeeds: options.faultSeeds ?? [1, 2, 3],
    concurrency,
    timeoutMs: options.timeoutMs ?? 30_000,
  };
}

/** A fresh random token, so that a search for it can only find what the run leaked. */
export function newToken(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}

/** Starts the connector's emulator and a recording proxy in front of it, and stops both after. */
export async function withEmulator<T extends Task, D, R>(
  resolved: ResolvedConformance<T, D>,
  options: ConformanceEmulatorOptions,
  body: (proxy: RecordingProxy) => Promise<R>,
): Promise<R> {
  const emulator = await resolved.startEmulator(options);
  try {
    const proxy = await startRecordingProxy(emulator.url);
    try {
      return await body(proxy);
    } finally {
      await proxy.close();
    }
  } finally {
    await emulator.close();
  }
}

/** A sink keyed by the connector's record key. */
export function newSink<T extends Task, D>(resolved: ResolvedConformance<T, D>): MemoryCheckpointSink<D> {
  return new MemoryCheckpointSink<D>({ recordKey: (record) => resolved.connector.recordKey(record) });
}

/**
 * Asserts that the sink got each expected record key exactly once and no other.
 *
 * @throws {assert.AssertionError} naming the missing, unexpected and repeated keys.
 */
export function assertExactlyOnce<D>(
  sink: MemoryCheckpointSink<D>,
  expected: readonly string[],
  context: string,
): void {
  const writes = sink.recordWrites();
  const repeated = [...writes].filter(([, count]) => count > 1).map(([key]) => key);
  const wanted = new Set(expected);
  const missing = expected.filter((key) => !writes.has(key));
  const unexpected = [...writes.keys()].filter((key) => !wanted.has(key));
  assert.deepEqual(
    { missing: missing.slice(0, 20), unexpected: unexpected.slice(0, 20), repeated: repeated.slice(0, 20) },
    { missing: [], unexpected: [], repeated: [] },
    `${context}: ${writes.size} record keys written for ${wanted.size} expected — ${missing.length} missing, ${unexpected.length} unexpected, ${repeated.length} written more than once.`,
  );
}

/**
 * Where a token shows in an error (message, stack, causes, every property) or in log lines,
 * raw or URL-encoded; empty when nowhere.
 */
export function placesOf(token: string, error: unknown, lines: readonly string[]): string[] {
  const needles = [token, encodeURIComponent(token)];
  const places: string[] = [];
  const texts: [string, string][] = [
    ['String(error)', String(error)],
    ['the error inspected (stack, causes, properties)', inspect(error, { depth: 10, showHidden: true })],
    ...lines.map((line, index): [string, string] => [`log line ${index + 1}`, line]),
  ];
  let cause: unknown = error;
  for (let depth = 0; cause instanceof Error && depth < 10; depth += 1) {
    texts.push([`cause ${depth} message`, cause.message], [`cause ${depth} stack`, cause.stack ?? '']);
    cause = cause.cause;
  }
  for (const [place, text] of texts) {
    if (needles.some((needle) => text.includes(needle))) places.push(place);
  }
  return places;
}
