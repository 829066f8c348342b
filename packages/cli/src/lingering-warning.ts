/** The start of {@link lingeringWarning}'s line; tests look for it. */
export const lingeringPrefix = 'capital: warning: still open 5 s after the work was done';

/**
 * The line `capital` prints when something kept it alive after its work was done and it had to
 * exit by force: the kinds of resources left open (`process.getActiveResourcesInfo()`), counted,
 * without the timer that forces the exit and the standard streams, which never hold a process.
 *
 * @example lingeringWarning(['TCPSocketWrap', 'Timeout', 'PipeWrap']) // '… (TCPSocketWrap); exiting'
 */
export function lingeringWarning(resources: readonly string[]): string {
  const counts = new Map<string, number>();
  let timers = 0;
  for (const resource of resources) {
    if (resource === 'PipeWrap' || resource === 'TTYWrap') continue;
    if (resource === 'Timeout' && timers++ === 0) continue;
    counts.set(resource, (counts.get(resource) ?? 0) + 1);
  }
  const open = [...counts].map(([name, count]) => (count > 1 ? `${count}× ${name}` : name)).join(', ');
  return `${lingeringPrefix} (${open === '' ? 'nothing named' : open}); exiting`;
}
