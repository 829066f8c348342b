import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { permitDispatcher, warmConnections } from './permit-dispatcher.js';
import { createSendPermit, type SendPermit } from './send-permit.js';

let server: Server;
let origin: string;
let connections: number;
let requests: number;

beforeEach(async () => {
  connections = 0;
  requests = 0;
  server = createServer((_request, response) => {
    requests += 1;
    response.end('ok');
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/**
 * A permit whose takes and sends are counted; `take` grants at once. The bound is a day, so
 * that only a permit made old on purpose is late, however slow the machine.
 */
const day = 86_400_000;
function countedPermit(grantedAt: number, maxDelayMs = day) {
  const seen = { taken: 0, sent: [] as number[], spent: 0 };
  const permit = createSendPermit({
    grantedAt,
    maxDelayMs,
    take: async () => {
      seen.taken += 1;
      return Date.now();
    },
    onSent: (delayMs) => seen.sent.push(delayMs),
    onSpent: () => {
      seen.spent += 1;
    },
  });
  return { permit, seen };
}

const get = (permit: SendPermit) => fetch(`${origin}/x`, { dispatcher: permitDispatcher(permit) });

describe('permitDispatcher', () => {
  it('sends on a fresh permit and reports its grant-to-send delay', async () => {
    const { permit, seen } = countedPermit(Date.now());
    expect(await (await get(permit)).text()).toBe('ok');
    expect(seen).toMatchObject({ taken: 0, spent: 0 });
    expect(seen.sent).toHaveLength(1);
    expect(seen.sent[0]).toBeGreaterThanOrEqual(0);
    expect(requests).toBe(1);
  });

  it('spends a permit older than its bound and sends on a new one, one request at the server', async () => {
    const { permit, seen } = countedPermit(Date.now() - 2 * day);
    expect(await (await get(permit)).text()).toBe('ok');
    expect(seen).toMatchObject({ taken: 1, spent: 1 });
    expect(seen.sent).toHaveLength(1);
    expect(requests).toBe(1);
  });

  it('takes a new permit for a second request on a permit already used', async () => {
    const { permit, seen } = countedPermit(Date.now());
    await (await get(permit)).text();
    await (await get(permit)).text();
    expect(seen).toMatchObject({ taken: 1, spent: 1 });
    expect(seen.sent).toHaveLength(2);
    expect(requests).toBe(2);
  });

  it('drops a request found late once its connection is ready, keeps the connection, and sends again', async () => {
    await warmConnections(origin, 1);
    expect(connections).toBe(1);
    // Fresh when dispatched, stale when the connection is ready: the check that counts is the last.
    let reads = 0;
    let renewed = 0;
    let sent = 0;
    const permit: SendPermit = {
      get grantedAt() {
        reads += 1;
        return reads === 2 ? Date.now() - 2 * day : Date.now();
      },
      maxDelayMs: day,
      used: false,
      renew: async () => {
        renewed += 1;
      },
      sent: () => {
        sent += 1;
      },
    };
    expect(await (await get(permit)).text()).toBe('ok');
    expect({ renewed, sent, requests, connections }).toEqual({
      renewed: 1,
      sent: 1,
      requests: 1,
      connections: 1,
    });
  });

  it('fails the request with the error of a new permit that could not be taken', async () => {
    const permit = createSendPermit({
      grantedAt: Date.now() - 2 * day,
      maxDelayMs: day,
      take: () => Promise.reject(new Error('limiter unavailable')),
    });
    await expect(get(permit)).rejects.toThrow();
    expect(requests).toBe(0);
  });
});

describe('warmConnections', () => {
  it('opens a keep-alive connection without sending a request, and the next request uses it', async () => {
    await warmConnections(origin, 1);
    expect({ connections, requests }).toEqual({ connections: 1, requests: 0 });
    const { permit } = countedPermit(Date.now());
    await (await get(permit)).text();
    expect({ connections, requests }).toEqual({ connections: 1, requests: 1 });
  });

  it('settles on an origin that refuses connections', async () => {
    await expect(warmConnections('http://127.0.0.1:1', 1)).resolves.toBeUndefined();
  });
});
