import { createServer, type Server } from 'node:http';
import { lastValueFrom, of, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permitDispatcher } from '../http/permit-dispatcher.js';
import { MemoryLimiter } from '../limit/memory-limiter.js';
import type { Handler, Task } from '../task.js';
import { crawl } from './crawl.js';
import type { CrawlEvent } from './crawl-event.js';

let server: Server;
let origin: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((_request, response) => {
    requests += 1;
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('crawl with a limiter: the permit in the handler context', () => {
  it('hands each attempt its permit, reports grant-to-send delays, and takes a new permit per extra request', async () => {
    const limiter = new MemoryLimiter({ rate: '1000/1s' });
    const seen: { permit: boolean; maxDelayMs: number | undefined }[] = [];
    // Two requests on one attempt: the second must not go on the first one's permit.
    const handler: Handler<Task, string> = async (task, context) => {
      seen.push({ permit: context.permit !== undefined, maxDelayMs: context.permit?.maxDelayMs });
      for (let request = 0; request < 2; request += 1) {
        const init = context.permit ? { dispatcher: permitDispatcher(context.permit, context.signal) } : {};
        await (await fetch(`${origin}/`, init)).text();
      }
      return { task, data: ['x'], nextTasks: [] };
    };
    const events: CrawlEvent[] = [];
    const before = requests;
    await lastValueFrom(
      of({ id: 1 }, { id: 2 }).pipe(
        // A day: only a used permit is renewed, however slow the machine.
        crawl(handler, {
          limiter,
          maxSendDelayMs: 86_400_000,
          onEvent: (event) => events.push(event),
          retry: false,
        }),
        tap((page) => page.ack()),
        toArray(),
      ),
    );
    expect(seen).toEqual([
      { permit: true, maxDelayMs: 86_400_000 },
      { permit: true, maxDelayMs: 86_400_000 },
    ]);
    const sent = events.filter((event) => event.type === 'request-sent');
    expect(sent).toHaveLength(4);
    for (const event of sent) expect(event.delayMs).toBeGreaterThanOrEqual(0);
    // The second request of each task spent the first's used permit.
    expect(events.filter((event) => event.type === 'permit-spent')).toHaveLength(2);
    expect(requests - before).toBe(4);
    await limiter.close();
  });

  it('bounds the delay by half the interval of the fastest layer of a layered key', async () => {
    const limiter = new MemoryLimiter({ rate: '20/1s' });
    let maxDelayMs: number | undefined;
    const handler: Handler<Task, string> = async (task, context) => {
      maxDelayMs = context.permit?.maxDelayMs;
      return { task, data: [], nextTasks: [] };
    };
    const limiterKey = [{ key: 'acct' }, { key: 'acct:charges', rate: '40/1s' }];
    await lastValueFrom(
      of({ id: 1 }).pipe(
        crawl(handler, { limiter, limiterKey }),
        tap((page) => page.ack()),
        toArray(),
      ),
    );
    expect(maxDelayMs).toBe(12);
    await limiter.close();
  });

  it('gives a handler no permit without a limiter', async () => {
    let permit: unknown = 'unset';
    const handler: Handler<Task, string> = async (task, context) => {
      permit = context.permit;
      return { task, data: [], nextTasks: [] };
    };
    await lastValueFrom(
      of({ id: 1 }).pipe(
        crawl(handler),
        tap((page) => page.ack()),
        toArray(),
      ),
    );
    expect(permit).toBeUndefined();
  });
});
