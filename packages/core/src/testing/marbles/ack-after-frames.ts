import { map, mergeMap, type OperatorFunction, type SchedulerLike, timer } from 'rxjs';
import type { Acknowledgeable } from '../../operators/ack-after.js';

/**
 * A sink on virtual time: each page takes `frames` frames to "store", then is acknowledged and
 * emitted; up to `concurrent` pages are stored at once (a sink's `maxPendingWrites`). With a
 * `TestScheduler` a marble test sees the crawl's backpressure follow the sink's pace.
 *
 * @param scheduler - The scheduler the crawl runs on.
 * @param frames - How long one write takes.
 * @param concurrent - Writes at once. @default 1
 * @returns An operator that emits each page once acknowledged.
 * @example pages$.pipe(ackAfterFrames(scheduler, 3))
 */
export function ackAfterFrames<P extends Acknowledgeable>(
  scheduler: SchedulerLike,
  frames: number,
  concurrent = 1,
): OperatorFunction<P, P> {
  return mergeMap(
    (page) =>
      timer(frames, scheduler).pipe(
        map(() => {
          page.ack();
          return page;
        }),
      ),
    concurrent,
  );
}
