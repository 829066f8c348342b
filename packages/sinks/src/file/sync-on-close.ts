import { close, fsync, open, write, writev } from 'node:fs';

/**
 * The `fs` of a write stream (its `fs` option) that flushes its file to the disk (fsync) as the
 * stream closes it, when `syncing()` says so then: one fsync on the stream's own descriptor,
 * where opening the file again once closed to flush it cost two more trips to the thread pool.
 * An fsync that fails fails the stream (its `close` reports the error, the file still closed).
 * Unlike the stream's `flush` option, asked only at close: a stream destroyed to throw its file
 * away (an abort) does not wait for a flush of what it wrote.
 */
export function syncOnClose(syncing: () => boolean) {
  return {
    open,
    write,
    writev,
    close: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
      if (!syncing()) return close(fd, done);
      fsync(fd, (error) => close(fd, (closeError) => done(error ?? closeError)));
    },
  };
}
