import { isCapitalError } from '@capital/core';
import { type QueueConnection, resolveQueueConnection } from '@capital/workers';
import type { Command } from 'commander';
import { CliUsageError } from '../cli-error.js';

/** The flags that say where a crawl's queue is, shared by every worker command. */
export type QueueFlags = {
  readonly redis?: string;
  readonly queue?: string;
  readonly prefix?: string;
};

/** Adds `--redis`, `--queue` and `--prefix` to a command. */
export function addQueueOptions(command: Command): Command {
  return command
    .option(
      '--redis <url>',
      'the Redis that holds the queue (default: REDIS_URL, else redis://127.0.0.1:6379)',
    )
    .option('--queue <name>', 'the queue: one per crawl (default: capital)')
    .option('--prefix <prefix>', 'namespace of the queue keys in Redis (default: capital:queue)');
}

/**
 * Reads the queue flags, with `REDIS_URL` from the command's environment as the fallback.
 * @throws {CliUsageError} for a queue name or URL the queue cannot use.
 */
export function queueConnectionOf(flags: QueueFlags, env: NodeJS.ProcessEnv): QueueConnection {
  return asUsageError(() =>
    resolveQueueConnection({
      redis: flags.redis || env.REDIS_URL || 'redis://127.0.0.1:6379',
      queue: flags.queue,
      prefix: flags.prefix,
    }),
  );
}

/**
 * Runs `read`, turning an invalid option or a queue that does not exist, thrown (or rejected
 * with), into a usage error (exit code 2). Other errors pass as they are.
 */
export function asUsageError<T>(read: () => T): T {
  try {
    const value = read();
    return (value instanceof Promise ? value.catch(toUsageError) : value) as T;
  } catch (error) {
    return toUsageError(error);
  }
}

function toUsageError(error: unknown): never {
  // A queue that does not exist is a mistyped --queue or --prefix more often than not.
  if (isCapitalError(error) && (error.code === 'INVALID_OPTION' || error.code === 'QUEUE_NOT_FOUND')) {
    throw new CliUsageError(error.message);
  }
  throw error;
}
