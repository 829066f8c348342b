import { describe, expect, it } from 'vitest';
import { generateListings } from './dataset.js';
import { resolveEmulatorOptions } from './emulator-options.js';
import { startEmulator } from './server.js';

const dataset = generateListings({ size: 100 });

describe('resolveEmulatorOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveEmulatorOptions({ dataset });
    expect(resolved).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      tokens: ['demo'],
      rateLimit: { limit: 10, windowMs: 1000 },
      maxLimit: 50,
      latencyMs: 0,
      faults: {},
    });
  });

  it('accepts loopback hosts only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
      expect(resolveEmulatorOptions({ dataset, host }).host).toBe(host);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      expect(() => resolveEmulatorOptions({ dataset, host })).toThrow(RangeError);
    }
  });

  it('refuses a port, maxLimit or latency out of range', () => {
    expect(() => resolveEmulatorOptions({ dataset, port: 70_000 })).toThrow(RangeError);
    expect(() => resolveEmulatorOptions({ dataset, maxLimit: 0 })).toThrow(RangeError);
    expect(() => resolveEmulatorOptions({ dataset, latencyMs: -5 })).toThrow(RangeError);
  });
});

describe('startEmulator options', () => {
  it('refuses to listen beyond loopback', async () => {
    await expect(startEmulator({ dataset, host: '0.0.0.0' })).rejects.toThrow(RangeError);
  });

  it('rejects bad fault rates before listening', async () => {
    await expect(startEmulator({ dataset, faultRate: 2 })).rejects.toThrow(RangeError);
  });

  it('rejects when the port is taken', async () => {
    const first = await startEmulator({ dataset });
    const port = Number(new URL(first.url).port);
    await expect(startEmulator({ dataset, port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
  });

  it('clamps to a custom maxLimit', async () => {
    const emulator = await startEmulator({ dataset, maxLimit: 7 });
    const response = await fetch(
      `${emulator.url}/api/v1/stock_search?search_term=a&limit=100&api_token=demo`,
    );
    expect(await response.json()).toMatchObject({ limit: 7, total_returned: 7 });
    await emulator.close();
  });
});
