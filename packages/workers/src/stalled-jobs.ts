import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * The share of the lock duration below which a held lock counts as lapsing. A live worker
 * renews its locks every half lock duration (BullMQ's `lockRenewTime`), so their time to live
 * stays above one half; below one quarter, a renewal is a quarter of the lock late.
 */
export const lapsingLockShare = 0.25;

/**
 * Whether an active job's lock says its worker stopped: the lock key is gone (`PTTL` answered
 * -2: it expired, nobody renewed it), or it expires within `lapsingLockShare` of the lock
 * duration. BullMQ moves such a job back to waiting at a live worker's next stalled-job check.
 *
 * @param pttlMs - Redis's `PTTL` of `<prefix>:<queue>:<jobId>:lock`.
 * @param lockDurationMs - The workers' lock duration (`--lock-duration`).
 * @example isLockLapsing(-2, 30_000) // true: no lock
 */
export function isLockLapsing(pttlMs: number, lockDurationMs: number): boolean {
  if (pttlMs === -2) return true;
  // -1: a lock without expiry. BullMQ never sets one; whoever did holds it on purpose.
  if (pttlMs < 0) return false;
  return pttlMs < lockDurationMs * lapsingLockShare;
}

/** Active jobs read at most, so that a huge active list costs one bounded round trip. */
const maxActiveRead = 10_000;

/**
 * Counts the active jobs of an open queue whose lock has lapsed or is about to (see
 * {@link isLockLapsing}): their worker stopped (killed, crashed, frozen), and they stay active
 * until a live worker's stalled-job check moves them back to waiting.
 *
 * A job that completes between the two reads loses its lock too, so a job without a lock
 * counts only if it is still active after the lock was read.
 */
export async function countStalledJobs(redis: Redis, queue: Queue, lockDurationMs: number): Promise<number> {
  const activeKey = queue.keys.active ?? '';
  const ids = await redis.lrange(activeKey, 0, maxActiveRead - 1);
  if (ids.length === 0) return 0;
  const ttls = await redis.pipeline(ids.map((id) => ['pttl', `${queue.keys[''] ?? ''}${id}:lock`])).exec();
  const suspects = ids.filter((_id, index) => {
    const [error, pttl] = ttls?.[index] ?? [null, -2];
    return !error && isLockLapsing(Number(pttl), lockDurationMs);
  });
  if (suspects.length === 0) return 0;
  const still = await redis.pipeline(suspects.map((id) => ['lpos', activeKey, id])).exec();
  return (still ?? []).filter(([error, position]) => !error && position !== null).length;
}
