import * as fs from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileSink } from './file-sink.js';
import { syncOnClose } from './sync-on-close.js';
import { writeSynced } from './write-synced.js';

// The module's fsync and close, watched: what the stream does with its descriptor, in order.
const calls = vi.hoisted(() => ({
  log: [] as string[],
  failSync: false,
  paths: new Map<number, string>(),
  synced: [] as string[],
}));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    open: (...args: unknown[]) => {
      const done = args.pop() as (error: NodeJS.ErrnoException | null, fd: number) => void;
      (real.open as (...rest: unknown[]) => void)(
        ...args,
        (error: NodeJS.ErrnoException | null, fd: number) => {
          if (!error) calls.paths.set(fd, String(args[0]));
          done(error, fd);
        },
      );
    },
    fsync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
      calls.log.push(`fsync ${fd}`);
      calls.synced.push(calls.paths.get(fd) ?? '');
      if (calls.failSync) return done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      real.fsync(fd, done);
    },
    close: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
      calls.log.push(`close ${fd}`);
      real.close(fd, done);
    },
  };
});

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-sync-on-close-'));
  calls.log.length = 0;
  calls.synced.length = 0;
  calls.failSync = false;
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('syncOnClose', () => {
  it('flushes the file through the stream’s own descriptor before closing it, once told to', async () => {
    let syncing = false;
    const stream = fs.createWriteStream(join(folder, 'a'), { fs: syncOnClose(() => syncing) });
    const fd = await new Promise<number>((opened) => stream.once('open', opened));
    stream.write('line\n');
    syncing = true;
    stream.end();
    await finished(stream);

    expect(calls.log).toEqual([`fsync ${fd}`, `close ${fd}`]);
    expect(await readFile(join(folder, 'a'), 'utf8')).toBe('line\n');
  });

  it('closes without a flush when not told to (a stream destroyed to throw its file away)', async () => {
    const stream = fs.createWriteStream(join(folder, 'a'), { fs: syncOnClose(() => false) });
    const fd = await new Promise<number>((opened) => stream.once('open', opened));
    const closed = new Promise<void>((done) => stream.once('close', () => done()));
    stream.destroy();
    await closed;

    expect(calls.log).toEqual([`close ${fd}`]);
  });

  it('fails the stream when the flush fails, and still closes the file', async () => {
    calls.failSync = true;
    const stream = fs.createWriteStream(join(folder, 'a'), { fs: syncOnClose(() => true) });
    stream.on('error', () => {});
    stream.end('line\n');

    await expect(finished(stream)).rejects.toThrow('EIO');
    expect(calls.log).toEqual([expect.stringMatching(/^fsync \d+$/), expect.stringMatching(/^close \d+$/)]);
  });
});

describe('FileSink flushing its data file', () => {
  /** The fsyncs of the data file's partial (not of the state file's). */
  const dataSyncs = () =>
    calls.synced.filter((path) => path.endsWith('.partial') && !path.includes('.runs.json.'));

  const page = {
    key: 'k',
    task: { type: 'test.list', page: 1 },
    data: [{ id: 'a' }],
    nextTasks: [],
    fetchedAt: 0,
  };

  it('flushes it once, as its stream closes it, when the run closes', async () => {
    const sink = new FileSink({ path: join(folder, 'out.ndjson') });
    await sink.runs.open();
    await sink.write(page);
    await sink.close();

    expect(dataSyncs()).toHaveLength(1);
    expect(await readFile(join(folder, 'out.ndjson'), 'utf8')).toContain('"id":"a"');
  });

  it('fails close() when the flush fails, and leaves the output as it was', async () => {
    const sink = new FileSink({ path: join(folder, 'out.ndjson') });
    await sink.runs.open();
    await sink.write(page);
    calls.failSync = true;

    await expect(sink.close()).rejects.toThrow('EIO');
    await expect(readFile(join(folder, 'out.ndjson'), 'utf8')).rejects.toThrow('ENOENT');
  });

  it('does not flush what an abort throws away', async () => {
    const sink = new FileSink({ path: join(folder, 'out.ndjson') });
    await sink.runs.open();
    await sink.write(page);
    await sink.abort(new Error('stop'));

    expect(dataSyncs()).toEqual([]);
  });
});

describe('writeSynced', () => {
  it('writes the text, then flushes the file before closing it', async () => {
    await writeSynced(join(folder, 'a'), 'text\n');

    expect(await readFile(join(folder, 'a'), 'utf8')).toBe('text\n');
    expect(calls.log).toEqual([expect.stringMatching(/^fsync \d+$/), expect.stringMatching(/^close \d+$/)]);
    expect(calls.synced).toEqual([join(folder, 'a')]);
  });

  it('fails when the flush fails, and still closes the file', async () => {
    calls.failSync = true;

    await expect(writeSynced(join(folder, 'a'), 'text\n')).rejects.toThrow('EIO');
    expect(calls.log).toEqual([expect.stringMatching(/^fsync \d+$/), expect.stringMatching(/^close \d+$/)]);
  });

  it('fails when the file cannot be opened', async () => {
    await expect(writeSynced(join(folder, 'missing', 'a'), 'text\n')).rejects.toThrow('ENOENT');
    expect(calls.log).toEqual([]);
  });
});
