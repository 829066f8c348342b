import assert from 'node:assert/strict';
import type { Task } from '../../task.js';
import {
  assertExactlyOnce,
  newSink,
  newToken,
  type ResolvedConformance,
  withEmulator,
} from './conformance-support.js';
import { capturingLogger, crawlConnector } from './crawl-connector.js';

/** How a run is stopped: its signal aborts after the page, or the sink fails the next write. */
export type CrashMode = 'abort' | 'sink-failure';

/**
 * The crash-point check: crawl once to the end (the reference); then, for every k from 1 to the
 * page count − 1, stop a fresh run right after its k-th page is durable, resume it into the same
 * sink, and require the records of the reference, each written once, with no page fetched
 * again that the sink held.
 *
 * ```
 * reference   p1 p2 p3 … pN                     → records R
 * run k       p1 … pk ✕ (abort / sink fails)     sink holds k pages
 * resume k    (p1 … pk skipped) pk+1 … pN        → records R, every page written once
 * ```
 *
 * @throws {assert.AssertionError} naming k and the mode when a resumed run differs.
 */
export async function crashPointCheck<T extends Task, D>(
  resolved: ResolvedConformance<T, D>,
  mode: CrashMode,
): Promise<void> {
  const token = newToken('conformance');
  const { logger } = capturingLogger();
  const expected = await resolved.expected();
  await withEmulator(resolved, { tokens: [token], rateLimit: false }, async (proxy) => {
    const run = {
      connector: resolved.connector,
      params: resolved.params,
      baseUrl: proxy.url,
      token,
      concurrency: resolved.concurrency,
      retry: false as const,
      logger,
    };
    const reference = newSink(resolved);
    await crawlConnector({ ...run, sink: reference, resume: false });
    assertExactlyOnce(reference, expected, 'The reference run');
    const pages = reference.pageWrites().size;
    assert.ok(
      pages >= 2,
      `The crawl of ${JSON.stringify(resolved.params)} has ${pages} page: choose params with at least 2.`,
    );
    for (let k = 1; k < pages; k += 1) {
      const context = `Stopped after page ${k} of ${pages} (${mode})`;
      const sink = newSink(resolved);
      const stop = new AbortController();
      const stopped = new Error(`${context}: stopped on purpose.`);
      const first = await crawlConnector({
        ...run,
        sink,
        resume: true,
        signal: stop.signal,
        afterWrite: (written) => {
          if (mode === 'abort' && written === k) stop.abort(stopped);
        },
        beforeWrite: (written) => {
          if (mode === 'sink-failure' && written === k) throw stopped;
        },
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.equal(first, stopped, `${context}: the run did not stop with the planned error.`);
      assert.equal(sink.pageWrites().size, k, `${context}: the sink should hold exactly ${k} pages.`);
      await crawlConnector({ ...run, sink, resume: true });
      assertExactlyOnce(sink, expected, `${context}, then resumed`);
      assert.deepEqual(
        sink.records(),
        reference.records(),
        `${context}, then resumed: the records differ from the reference run.`,
      );
      const rewritten = [...sink.pageWrites()].filter(([, count]) => count > 1).map(([key]) => key);
      assert.deepEqual(
        rewritten,
        [],
        `${context}, then resumed: pages stored before the stop were written again.`,
      );
    }
  });
}
