/** The signals that stop `capital`. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** What {@link stopOnSignals} listens to and how it exits: `process` in `bin.ts`, a fake in tests. */
export type SignalHost = {
  on(signal: StopSignal, listener: () => void): unknown;
  exit(code: number): void;
  readonly stderr: { write(text: string): unknown };
};

/** The exit code of a process stopped by a signal, as shells report it (128 + SIGINT's 2). */
export const interruptedExitCode = 130;

/**
 * Turns SIGINT and SIGTERM into an abort: the first one aborts the returned signal, so the
 * command stops cleanly (every step of that stop is bounded); any later one exits at once with
 * {@link interruptedExitCode}, for a user who will not wait even that long. Listening with
 * `on`, not `once`: after `once`, a second Ctrl-C would meet Node's default handler and kill
 * the process without a word.
 *
 * @example const signal = stopOnSignals(process); await main(process.argv, io, signal);
 */
export function stopOnSignals(host: SignalHost): AbortSignal {
  const controller = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    host.on(name, () => {
      if (controller.signal.aborted) {
        host.stderr.write(`capital: ${name} again: exiting at once; nothing was finalised.\n`);
        host.exit(interruptedExitCode);
        return;
      }
      host.stderr.write(`capital: ${name}: stopping (send it again to exit at once).\n`);
      controller.abort(new Error(`Interrupted by ${name}.`));
    });
  }
  return controller.signal;
}
