import { timeSinkWrite } from '@capital/core';
import type { Sink } from '@capital/sinks';

/**
 * The same sink, its writes timed into `capital.sink.write.duration` (labelled with the sink's
 * class name). Everything else passes through unchanged.
 * @example pages$.pipe(writeTo(timedSink(sink)))
 */
export function timedSink<D>(sink: Sink<D>): Sink<D> {
  const name = sink.constructor.name;
  return {
    write: (page) => timeSinkWrite(name, () => sink.write(page)),
    close: () => sink.close(),
    abort: (reason) => sink.abort(reason),
    ...(sink.checkpoint === undefined ? {} : { checkpoint: sink.checkpoint }),
    maxPendingWrites: sink.maxPendingWrites,
    maxPendingRecords: sink.maxPendingRecords,
  };
}
