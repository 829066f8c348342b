import {
  type Connector,
  type ConnectorRuntime,
  CredentialRefusedError,
  createCredentialResolver,
  type RateLimiter,
} from '@capital/core';
import type { Sink } from '@capital/sinks';
import { describe, expect, it } from 'vitest';
import { ConnectorCache } from './connector-cache.js';
import { ConnectorUnavailableError } from './worker-errors.js';

function fakeConnector(name: string, runtimes: ConnectorRuntime[] = []): Connector {
  return {
    name,
    credential: { envVar: 'TEST_TOKEN', reference: 'env:TEST_TOKEN' },
    createHandler: (runtime: ConnectorRuntime) => {
      runtimes.push(runtime);
      return async () => runtime.baseUrl;
    },
    limiterKey: (task: { credentials: string }, keys: { forCredential(c: string, r: string): string }) =>
      keys.forCredential(name, task.credentials),
  } as unknown as Connector;
}

function fakeSink(log: string[], name: string): Sink {
  return {
    close: async () => {
      log.push(`close ${name}`);
      return { pages: 0, records: 0, location: name };
    },
  } as unknown as Sink;
}

const runtime = { resolveCredential: () => 'secret' };
const task = { type: 'wtd.stock_search', page: 1, credentials: 'env:TEST_TOKEN' };

describe('ConnectorCache', () => {
  it('loads a connector once, however many jobs ask for it at once', async () => {
    let loads = 0;
    const cache = new ConnectorCache({
      load: async (name) => {
        loads += 1;
        return fakeConnector(name);
      },
      openSink: () => fakeSink([], 's'),
      openLimiter: () => undefined,
      runtime,
    });
    const [a, b] = await Promise.all([cache.get('wtd', task), cache.get('wtd', task)]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
  });

  it('tries a failed load again on the next job', async () => {
    let loads = 0;
    const cache = new ConnectorCache({
      load: async (name) => {
        loads += 1;
        if (loads === 1) throw new Error('not installed');
        return fakeConnector(name);
      },
      openSink: () => fakeSink([], 's'),
      openLimiter: () => undefined,
      runtime,
    });
    const first = await cache.get('wtd', task).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ConnectorUnavailableError);
    expect((first as Error).message).toBe('This worker cannot load the connector "wtd": not installed');
    await expect(cache.get('wtd', task)).resolves.toMatchObject({ connector: { name: 'wtd' } });
  });

  it('refuses a module that turns out to be another connector', async () => {
    const cache = new ConnectorCache({
      load: async () => fakeConnector('other'),
      openSink: () => fakeSink([], 's'),
      openLimiter: () => undefined,
      runtime,
    });
    await expect(cache.get('wtd', task)).rejects.toThrow('the module found for it is the connector "other"');
  });

  it('makes one handler per base URL', async () => {
    const cache = new ConnectorCache({
      load: async (name) => fakeConnector(name),
      openSink: () => fakeSink([], 's'),
      openLimiter: () => undefined,
      runtime,
    });
    const entry = await cache.get('wtd', task);
    expect(entry.handlerFor('http://a')).toBe(entry.handlerFor('http://a'));
    expect(entry.handlerFor('http://a')).not.toBe(entry.handlerFor('http://b'));
  });

  it('opens the sink of a connector with the first task it meets', async () => {
    const seen: unknown[] = [];
    const cache = new ConnectorCache({
      load: async (name) => fakeConnector(name),
      openSink: (connector, firstTask) => {
        seen.push([connector.name, firstTask]);
        return fakeSink([], 's');
      },
      openLimiter: () => undefined,
      runtime,
    });
    await cache.get('wtd', task);
    await cache.get('wtd', { ...task, page: 2 });
    expect(seen).toEqual([['wtd', task]]);
  });

  it('closes each sink and limiter once, a shared sink too', async () => {
    const log: string[] = [];
    const shared = fakeSink(log, 'shared');
    const limiter = { close: async () => void log.push('close limiter') } as unknown as RateLimiter;
    const cache = new ConnectorCache({
      load: async (name) => fakeConnector(name),
      openSink: () => shared,
      openLimiter: () => limiter,
      runtime,
    });
    await cache.get('a', task);
    await cache.get('b', task);
    const summaries = await cache.close();
    expect(summaries).toHaveLength(1);
    expect(log).toEqual(['close shared', 'close limiter']);
  });

  it('gives handlers and limiter keys a resolver of the connector’s declared reference and those allowed only', async () => {
    const runtimes: ConnectorRuntime[] = [];
    const env = { TEST_TOKEN: 'test-token', SECOND: 'second-token', MY_DB_PASSWORD: 'db-password' };
    const cache = new ConnectorCache({
      load: async (name) => fakeConnector(name, runtimes),
      openSink: () => fakeSink([], 's'),
      openLimiter: () => undefined,
      runtime: { resolveCredential: createCredentialResolver(env) },
      allowedCredentials: ['env:SECOND'],
      keySecret: 'k',
    });
    const entry = await cache.get('wtd', task);
    entry.handlerFor(undefined);
    const resolve = runtimes[0]?.resolveCredential ?? (() => '');
    expect(resolve('env:TEST_TOKEN')).toBe('test-token');
    expect(resolve('env:SECOND')).toBe('second-token');
    expect(() => resolve('env:MY_DB_PASSWORD')).toThrow(CredentialRefusedError);
    expect(entry.limiterKey(task)).toMatch(/^wtd:[0-9a-f]{32}$/);
    expect(() => entry.limiterKey({ ...task, credentials: 'env:MY_DB_PASSWORD' })).toThrow(
      'Refused the credential reference "env:MY_DB_PASSWORD"',
    );
  });

  it('closes a sink without finishing its run: other workers may still be writing it', async () => {
    const finishes: unknown[] = [];
    const sink = {
      close: async (finish?: unknown) => {
        finishes.push(finish);
        return { pages: 0, records: 0, location: 's' };
      },
    } as unknown as Sink;
    const cache = new ConnectorCache({
      load: async (name) => fakeConnector(name),
      openSink: () => sink,
      openLimiter: () => undefined,
      runtime,
    });
    await cache.get('wtd', task);

    await cache.close();

    expect(finishes).toEqual([{ finishRun: false }]);
  });
});
