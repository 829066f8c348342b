import { join } from 'node:path';
import type { DashboardState } from '@capital/workers';
import { afterEach, describe, expect, it } from 'vitest';
import { type DashboardServer, startDashboardServer } from '../../src/dashboard/dashboard-server.js';
import { artifactsDir, launchBrowser } from '../browser.js';

// The page in a real browser against a fixed state: failure reasons are hostile input.

const hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
const state: DashboardState = {
  at: Date.now(),
  queues: [
    {
      name: '<b>crawl</b>',
      waiting: 0,
      active: 0,
      delayed: 0,
      prioritized: 0,
      waitingChildren: 0,
      completed: 3,
      failed: 1,
      complete: true,
      state: 'failed',
      stalled: 0,
      pagesPerSecond: 0,
      workers: [],
      limiter: { requestsPerSecond: 0, limit: '9/1s', limitPerSecond: 9 },
      throttled: 0,
      retries: 0,
      failures: [
        { id: 'a'.repeat(64), connector: 'wtd', reason: hostile, attempts: 1, failedAt: Date.now() },
      ],
    },
  ],
};

let server: DashboardServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('capital dashboard page', () => {
  it('renders a failure reason holding <script> as text, running none of it', async () => {
    server = await startDashboardServer({ read: async () => state, port: 0 });
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(server.url);
      const reason = page.locator('[data-failure] [data-field="reason"]');
      await reason.waitFor({ timeout: 20_000 });
      expect(await reason.textContent()).toBe(hostile);
      expect(await page.locator('section[data-queue] h2').first().textContent()).toContain('<b>crawl</b>');
      expect(await page.locator('main img, main script, main b:not([data-field])').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
      await page.screenshot({ path: join(artifactsDir, 'dashboard-hostile-reason.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('answers only loopback Host names, so a rebinding page elsewhere cannot read it', async () => {
    server = await startDashboardServer({ read: async () => state, port: 0 });
    const { port } = new URL(server.url);
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(
        { host: '127.0.0.1', port, path: '/api/state', headers: { host: `evil.example:${port}` } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
    expect((await fetch(new URL('/api/state', server.url))).status).toBe(200);
  });
});
