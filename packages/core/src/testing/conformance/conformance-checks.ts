import assert from 'node:assert/strict';
import { createLimiterKeys } from '../../limit/limiter-key.js';
import { MemoryLimiter } from '../../limit/memory-limiter.js';
import type { CrawlEvent } from '../../operators/crawl-event.js';
import type { Task } from '../../task.js';
import type { ConformanceOptions } from './conformance-options.js';
import {
  assertExactlyOnce,
  newSink,
  newToken,
  placesOf,
  type ResolvedConformance,
  resolveConformance,
  withEmulator,
} from './conformance-support.js';
import { crashPointCheck } from './crash-point-check.js';
import { capturingLogger, crawlConnector } from './crawl-connector.js';
import type { ProxiedAnswer } from './recording-proxy.js';

/** One conformance check: a name that reads as a sentence, and the check itself. */
export type ConformanceCheck = {
  readonly name: string;
  /** Resolves when the connector conforms; rejects with an assertion error saying how it does not. */
  run(): Promise<void>;
};

/** Retries quick enough for a test, many enough to outlast the injected faults. */
const FAST_RETRIES = { retries: 20, minTimeoutMs: 1, maxTimeoutMs: 20 } as const;
/** Timers may fire a hair early against `performance.now()`; a client this close is on time. */
const TIMER_SLACK_MS = 2;

/**
 * The conformance checks of a connector against its emulator, with no test framework attached:
 * `describeConnector` (from `@capital/core/conformance`) runs each as a Vitest test; another
 * runner can call `run()` itself.
 *
 * @param options - See {@link ConformanceOptions}.
 * @returns The checks, in the order they are best run.
 * @throws {RangeError} for an option out of range.
 * @example for (const check of conformanceChecks(options)) await check.run();
 */
export function conformanceChecks<T extends Task, D>(options: ConformanceOptions<T, D>): ConformanceCheck[] {
  const resolved = resolveConformance(options);
  return [
    {
      name: "crawls to the end and writes each of the emulator's records exactly once",
      run: () => exactlyOnce(resolved),
    },
    {
      name: 'honours Retry-After: no request reaches the API while a 429 it answered still holds',
      run: () => retryAfter(resolved, 1),
    },
    {
      name: `holds every task back for a 429's Retry-After: at concurrency ${resolved.concurrency} under a limiter, only requests already on their way reach the API during it`,
      run: () => retryAfter(resolved, resolved.concurrency),
    },
    {
      name: 'survives 5xx, malformed bodies, resets and 429 bursts with the same exact result',
      run: () => faults(resolved),
    },
    {
      name: 'fails fast on a bad token, and the token shows in no error, stack or log',
      run: () => badToken(resolved),
    },
    {
      name: 'resumes after an abort after page k, for every k, into the output of a run that never stopped',
      run: () => crashPointCheck(resolved, 'abort'),
    },
    {
      name: 'resumes after a sink failure after page k, for every k, into the output of a run that never stopped',
      run: () => crashPointCheck(resolved, 'sink-failure'),
    },
  ];
}

async function exactlyOnce<T extends Task, D>(resolved: ResolvedConformance<T, D>): Promise<void> {
  const token = newToken('conformance');
  const { logger, lines } = capturingLogger();
  const sink = newSink(resolved);
  await withEmulator(resolved, { tokens: [token], rateLimit: false }, (proxy) =>
    crawlConnector({ ...base(resolved, proxy.url, token, sink), retry: false, logger }),
  );
  assertExactlyOnce(sink, await resolved.expected(), 'A crawl with no faults');
  const repeatedPages = [...sink.pageWrites()].filter(([, count]) => count > 1);
  assert.deepEqual(repeatedPages, [], 'A crawl wrote a page more than once.');
  assert.deepEqual(placesOf(token, undefined, lines), [], 'The token shows in the logs of a good run.');
  const keys = createLimiterKeys({ resolveCredential: () => token });
  const limiterKeys = resolved.connector.seeds(resolved.params).flatMap((seed) => {
    const key = resolved.connector.limiterKey(seed, keys);
    return typeof key === 'string' ? [key] : key.map((layer) => layer.key);
  });
  assert.deepEqual(placesOf(token, undefined, limiterKeys), [], 'The token shows in a limiter key.');
}

/**
 * How much wider the emulator's window gets, run after run, while a crawl meets no 429: a busy
 * machine may crawl slower than the limit, and a wider window forces a 429 whatever the speed.
 * It costs time only where the machine is that slow.
 */
const WINDOW_WIDENINGS = [1, 4, 16] as const;

/**
 * Under a tight limit, no request may reach the API during the `Retry-After` of a 429 it had
 * already passed on, except those already on their way when the client read it: with one task at
 * a time there are none; at `concurrency` n under a limiter (which a 429 pauses for every task)
 * at most n − 1.
 */
async function retryAfter<T extends Task, D>(
  resolved: ResolvedConformance<T, D>,
  concurrency: number,
): Promise<void> {
  const { limit, windowMs } = resolved.rateLimit;
  let requests = 0;
  for (const widening of WINDOW_WIDENINGS) {
    const rateLimit = { limit, windowMs: windowMs * widening };
    const { answers, failure, sink } = await crawlUnderLimit(resolved, concurrency, rateLimit);
    const limited = answers.filter((answer) => answer.status === 429);
    // Requests sent during a Retry-After are the diagnosis, also when they wore the retries out
    // and the crawl failed: that failure is their consequence, so it is reported after them.
    const early = requestsDuringPauses(answers, concurrency - 1);
    assert.deepEqual(
      early,
      [],
      `${early.length} requests reached the API before the Retry-After of a 429 it had already answered ran out, beyond the ${concurrency - 1} a client may have had on their way (${limited.length} 429s in ${answers.length} requests, concurrency ${concurrency}).`,
    );
    if (failure !== undefined) throw failure;
    requests = answers.length;
    if (limited.length === 0) continue;
    assertExactlyOnce(sink, await resolved.expected(), 'A crawl under a tight rate limit');
    return;
  }
  assert.fail(
    `The emulator answered no 429 at ${limit}/${windowMs}ms, nor with the window widened up to ${windowMs * Math.max(...WINDOW_WIDENINGS)}ms, over ${requests} requests: tighten the conformance rateLimit so that Retry-After is tried.`,
  );
}

/** One crawl against the emulator limited to `rateLimit`: what the API answered, and how it ended. */
async function crawlUnderLimit<T extends Task, D>(
  resolved: ResolvedConformance<T, D>,
  concurrency: number,
  rateLimit: { readonly limit: number; readonly windowMs: number },
) {
  const token = newToken('conformance');
  const sink = newSink(resolved);
  const { logger } = capturingLogger();
  // The client's own limit is far above the emulator's, so every 429 is one the emulator forced;
  // the limiter is there for its pause, which holds back every task of the key.
  const keys = createLimiterKeys({ resolveCredential: () => token, secret: token });
  const limiter =
    concurrency > 1
      ? {
          limiter: new MemoryLimiter({ rate: '1000/1s' }),
          limiterKey: (task: T) => resolved.connector.limiterKey(task, keys),
        }
      : {};
  return withEmulator(resolved, { tokens: [token], rateLimit }, async (proxy) => {
    let failure: unknown;
    try {
      await crawlConnector({
        ...base(resolved, proxy.url, token, sink),
        ...limiter,
        concurrency,
        retry: FAST_RETRIES,
        logger,
      });
    } catch (error) {
      failure = error;
    }
    return { answers: proxy.answers(), failure, sink };
  });
}

/**
 * Requests that arrived after a 429 was answered and before its Retry-After ran out, beyond the
 * first `onTheirWay` of them (sent before the client could have read the 429).
 */
function requestsDuringPauses(answers: readonly ProxiedAnswer[], onTheirWay: number): string[] {
  const early = new Map<number, string>();
  for (const [index, answer] of answers.entries()) {
    if (answer.status !== 429 || answer.answeredAt === undefined || answer.retryAfterMs === undefined)
      continue;
    const from = answer.answeredAt;
    const until = from + answer.retryAfterMs - TIMER_SLACK_MS;
    const during = [...answers.entries()].filter(
      ([laterIndex, later]) => laterIndex > index && later.arrivedAt > from && later.arrivedAt < until,
    );
    for (const [laterIndex, later] of during.slice(onTheirWay)) {
      const after = (later.arrivedAt - from).toFixed(1);
      early.set(
        laterIndex,
        `request ${laterIndex + 1}: ${after} ms after a 429 saying ${answer.retryAfterMs} ms`,
      );
    }
  }
  return [...early.values()];
}

async function faults<T extends Task, D>(resolved: ResolvedConformance<T, D>): Promise<void> {
  const expected = await resolved.expected();
  const seen = new Set<string>();
  for (const seed of resolved.faultSeeds) {
    const token = newToken('conformance');
    const sink = newSink(resolved);
    const { logger } = capturingLogger();
    const answers = await withEmulator(
      resolved,
      { tokens: [token], rateLimit: false, faults: { ...resolved.faults, seed } },
      async (proxy) => {
        await crawlConnector({ ...base(resolved, proxy.url, token, sink), retry: FAST_RETRIES, logger });
        return proxy.answers();
      },
    );
    assertExactlyOnce(sink, expected, `A crawl with faults (seed ${seed})`);
    for (const { status } of answers) {
      if (status === 'reset') seen.add('a reset');
      else if (status === 429) seen.add('a 429');
      else if (status >= 500) seen.add('a 5xx');
    }
  }
  assert.deepEqual(
    [...seen].sort(),
    ['a 429', 'a 5xx', 'a reset'],
    `Over fault seeds ${resolved.faultSeeds.join(', ')} the receiver saw only ${[...seen].join(', ') || 'no fault'}: raise the rates or add seeds so that every fault is tried.`,
  );
}

async function badToken<T extends Task, D>(resolved: ResolvedConformance<T, D>): Promise<void> {
  const good = newToken('conformance-good');
  const bad = newToken('conformance-bad');
  const { logger, lines } = capturingLogger();
  const events: CrawlEvent[] = [];
  const seeds = resolved.connector.seeds(resolved.params).length;
  const { error, answers } = await withEmulator(
    resolved,
    { tokens: [good], rateLimit: false },
    async (proxy) => {
      const run = crawlConnector({
        ...base(resolved, proxy.url, bad, newSink(resolved)),
        retry: FAST_RETRIES,
        logger,
        onEvent: (event) => events.push(event),
      });
      const error = await run.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      return { error, answers: proxy.answers() };
    },
  );
  assert.ok(error !== undefined, 'A crawl with a token the API refuses succeeded.');
  assert.ok(
    answers.length <= seeds && answers.every((answer) => answer.status === 401),
    `A refused token should fail at its first 401, without retrying; the API saw ${answers.map((answer) => answer.status).join(', ')}.`,
  );
  const eventLines = events.map((event) =>
    'error' in event ? `${String(event.error)} ${event.error.stack}` : '',
  );
  assert.deepEqual(placesOf(bad, error, [...lines, ...eventLines]), [], 'The refused token leaked.');
}

function base<T extends Task, D>(
  resolved: ResolvedConformance<T, D>,
  baseUrl: string,
  token: string,
  sink: ReturnType<typeof newSink<T, D>>,
) {
  return {
    connector: resolved.connector,
    params: resolved.params,
    baseUrl,
    token,
    sink,
    concurrency: resolved.concurrency,
    resume: false,
  };
}
