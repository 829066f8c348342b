import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * When a process started, as Linux counts it (clock ticks since boot, field 22 of
 * `/proc/PID/stat`): with the pid, it names a process for good, since pids are reused.
 * `undefined` where there is no `/proc` or the process is gone.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or ')': count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[22 - 3];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

const ownStart = processStart(process.pid);
const owner = ownStart === undefined ? `${process.pid}` : `${process.pid}-${ownStart}`;
/**
 * The RANDOM part of this process's partials: random once, then counted up (modulo 2³²), unique
 * among this process's names without drawing random bytes for each (~10–40 µs a call, a few a
 * run); random still, so that a process without `/proc`, which reuses a dead one's pid, does not
 * start on the same names.
 */
let nextPartial = randomBytes(4).readUInt32BE(0);

/**
 * The hidden temporary file beside `path` that this process writes:
 * `.NAME.PID-START.RANDOM.partial`, naming its owner so that a later run can tell a partial
 * left by a killed process from one a live process still writes.
 */
export function partialPathFor(path: string): string {
  const unique = nextPartial.toString(16).padStart(8, '0');
  nextPartial = (nextPartial + 1) >>> 0;
  return join(dirname(path), `.${basename(path)}.${owner}.${unique}.partial`);
}

/** Whether the process that wrote a partial may still be running; when unsure, yes. */
function ownerAlive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  if (start === undefined) return true;
  const current = processStart(pid);
  // Another process has the pid now: the writer is gone.
  return current === undefined || current === start;
}

/**
 * Deletes the partial files of `path` (and of `others`, files of the same folder, read once)
 * whose writer is no longer running (a `capital run` killed with SIGKILL gets no chance to
 * delete its own). Never one of this process, nor of a process that is alive; best effort: a
 * folder that cannot be read is left as it is.
 *
 * @returns the paths deleted.
 * @example await removeStalePartials('/data/wtd.ndjson') // ['/data/.wtd.ndjson.4242-8812.1a2b3c4d.partial']
 */
export async function removeStalePartials(path: string, ...others: string[]): Promise<string[]> {
  const folder = dirname(path);
  const prefixes = [path, ...others].map((file) => `.${basename(file)}.`);
  if (others.some((file) => dirname(file) !== folder)) {
    throw new TypeError('removeStalePartials: every path must be in the same folder.');
  }
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.partial')) continue;
    for (const prefix of prefixes) {
      if (!name.startsWith(prefix)) continue;
      // PID, or PID-START (older runs wrote the pid alone), then the random part.
      const owner = /^(\d+)(?:-(\d+))?\.[0-9a-f]+\.partial$/.exec(name.slice(prefix.length));
      if (!owner) continue;
      const pid = Number(owner[1]);
      if (pid === process.pid || ownerAlive(pid, owner[2])) continue;
      const stale = join(folder, name);
      await rm(stale, { force: true }).then(
        () => removed.push(stale),
        () => {},
      );
      break;
    }
  }
  return removed;
}
