import { afterEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from './server.js';
import { startEmulator } from './server.js';

let emulator: RunningEmulator | undefined;
afterEach(() => emulator?.close());

const pageUrl = (running: RunningEmulator, page: number) =>
  `${running.url}/api/v1/stock_search?search_term=new%20york&page=${page}&api_token=demo`;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('RunningEmulator.hold', () => {
  it('holds answers until release, counting nothing as served meanwhile', async () => {
    const running = await startEmulator({ rateLimit: false });
    emulator = running;
    running.hold();
    let answered = false;
    const pending = fetch(pageUrl(running, 2)).then(async (response) => {
      answered = true;
      return response.json() as Promise<{ page: number }>;
    });
    await until(() => running.heldRequests() === 1);
    expect(answered).toBe(false);
    expect(running.stats().pages).toEqual([]);

    running.release();
    expect((await pending).page).toBe(2);
    expect(running.heldRequests()).toBe(0);
    expect(running.stats().pages).toEqual([{ searchTerm: 'new york', limit: 50, page: 2, served: 1 }]);
  });

  it('answers at once again after release', async () => {
    const running = await startEmulator({ rateLimit: false });
    emulator = running;
    running.hold();
    running.release();
    const response = await fetch(pageUrl(running, 1));
    expect(response.status).toBe(200);
    expect(running.heldRequests()).toBe(0);
  });

  it('lets the given number of answers through before holding', async () => {
    const running = await startEmulator({ rateLimit: false });
    emulator = running;
    running.hold(2);
    expect((await fetch(pageUrl(running, 1))).status).toBe(200);
    expect((await fetch(pageUrl(running, 2))).status).toBe(200);
    const third = fetch(pageUrl(running, 3));
    await until(() => running.heldRequests() === 1);
    expect(running.stats().pages.map((page) => page.page)).toEqual([1, 2]);
    running.release();
    expect((await third).status).toBe(200);
  });

  it('lets a held request go when the emulator closes', async () => {
    const running = await startEmulator({ rateLimit: false });
    running.hold();
    const pending = fetch(pageUrl(running, 1)).then(
      () => 'answered',
      () => 'failed',
    );
    await until(() => running.heldRequests() === 1);
    await running.close();
    expect(await pending).toBe('failed');
  });
});
