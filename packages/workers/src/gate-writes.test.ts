import { InvalidOptionError } from '@capital/core';
import type { Sink, SinkPage } from '@capital/sinks';
import { describe, expect, it } from 'vitest';
import { gateWrites } from './gate-writes.js';

/** A sink whose writes resolve when the test says, recording how many run at once. */
function manualSink(maxPendingWrites?: number) {
  const release: (() => void)[] = [];
  const started: string[] = [];
  let running = 0;
  let most = 0;
  const sink: Sink = {
    write: async (page) => {
      running += 1;
      most = Math.max(most, running);
      started.push(page.key);
      await new Promise<void>((resolve) => release.push(resolve));
      running -= 1;
      return { key: page.key, records: 0 };
    },
    close: async () => ({ pages: 0, records: 0, location: 'test' }),
    abort: async () => {},
    ...(maxPendingWrites === undefined ? {} : { maxPendingWrites }),
  };
  return { sink, release, started, most: () => most };
}

const page = (key: string): SinkPage => ({ key, task: {}, data: [], nextTasks: [], fetchedAt: 0 });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('gateWrites', () => {
  it('lets one write at a time reach a sink that does not say, in the order they came', async () => {
    const manual = manualSink();
    const gated = gateWrites(manual.sink);
    const writes = ['a', 'b', 'c'].map((key) => gated.write(page(key)));
    await settle();
    expect(manual.started).toEqual(['a']);
    for (let done = 1; done <= 3; done += 1) {
      manual.release.shift()?.();
      await settle();
    }
    await Promise.all(writes);
    expect(manual.started).toEqual(['a', 'b', 'c']);
    expect(manual.most()).toBe(1);
  });

  it('lets maxPendingWrites writes through at once', async () => {
    const manual = manualSink(2);
    const gated = gateWrites(manual.sink);
    const writes = ['a', 'b', 'c', 'd'].map((key) => gated.write(page(key)));
    await settle();
    expect(manual.started).toEqual(['a', 'b']);
    while (manual.release.length > 0) {
      manual.release.shift()?.();
      await settle();
    }
    await Promise.all(writes);
    expect(manual.most()).toBe(2);
    expect(gated.maxPendingWrites).toBe(2);
  });

  it('frees the slot of a write that fails', async () => {
    const sink: Sink = {
      write: async (p) => {
        if (p.key === 'bad') throw new Error('refused');
        return { key: p.key, records: 0 };
      },
      close: async () => ({ pages: 0, records: 0, location: 'test' }),
      abort: async () => {},
    };
    const gated = gateWrites(sink);
    await expect(gated.write(page('bad'))).rejects.toThrow('refused');
    await expect(gated.write(page('good'))).resolves.toEqual({ key: 'good', records: 0 });
  });

  it('rejects a sink that allows no write at all', () => {
    const { sink } = manualSink(0);
    expect(() => gateWrites(sink)).toThrow(InvalidOptionError);
  });
});
