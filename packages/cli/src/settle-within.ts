/**
 * Waits for a shutdown step (closing a connection, a server, a sink) at most `ms`, and never
 * throws: a step that fails or overruns is reported through `warn` and left behind, so that the
 * steps after it still run and the error that ended the run is still printed. A Redis or a
 * database that stops answering must not hold the process forever.
 *
 * @param what - The step, for the warning: `closing the rate limiter's Redis connection`.
 * @returns `true` when the step finished in time without error.
 * @example await settleWithin('closing the emulator', () => emulator.close(), 5000, warn);
 */
export async function settleWithin(
  what: string,
  step: () => Promise<unknown> | undefined,
  ms: number,
  warn: (message: string) => void,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<'overrun'>((resolve) => {
    timer = setTimeout(() => resolve('overrun'), ms);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(step), overrun]);
    if (outcome !== 'overrun') return true;
    warn(`${what} took longer than ${ms} ms; going on without it.`);
    return false;
  } catch (error) {
    warn(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}
