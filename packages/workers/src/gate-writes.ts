import { InvalidOptionError } from '@capital/core';
import type { PageReceipt, Sink, SinkPage } from '@capital/sinks';

/**
 * A sink whose `write` waits its turn: at most `sink.maxPendingWrites` calls (1 when the sink
 * does not say) reach the sink at once, the others wait in order. A worker runs several jobs at
 * once and they all write to one sink; the sink contract lets only that many writes be pending.
 * Everything else passes through.
 *
 * @throws {InvalidOptionError} when `maxPendingWrites` is not a whole number ≥ 1.
 * @example const sink = gateWrites(new FileSink({ path, recordKey })); // one write at a time
 */
export function gateWrites<D>(sink: Sink<D>): Sink<D> {
  const limit = sink.maxPendingWrites ?? 1;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidOptionError('maxPendingWrites', `must be a whole number ≥ 1, got ${limit}.`);
  }
  let pending = 0;
  const waiting: (() => void)[] = [];
  const write = async (page: SinkPage<D>): Promise<PageReceipt> => {
    if (pending >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else pending += 1;
    try {
      return await sink.write(page);
    } finally {
      // Hand the slot straight to the next writer, so that a newcomer cannot overtake it.
      const next = waiting.shift();
      if (next) next();
      else pending -= 1;
    }
  };
  return {
    write,
    close: (finish) => sink.close(finish),
    abort: (reason) => sink.abort(reason),
    maxPendingWrites: limit,
    ...(sink.checkpoint ? { checkpoint: sink.checkpoint } : {}),
    ...(sink.runs ? { runs: sink.runs } : {}),
    ...(sink.disposition ? { disposition: sink.disposition } : {}),
  };
}
