import type { RunningEmulatorServer } from '@capital/core/testing';
import { startEmulatorServer } from '@capital/core/testing';
import { type StripeEmulatorOptions, toServerOptions } from './emulator-options.js';

/**
 * Starts a local emulator of Stripe's list endpoints on loopback, on the emulator kit:
 * `GET /v1/customers`, `/v1/charges`, `/v1/invoices`, `/v1/balance_transactions` and
 * `/v1/invoices/{id}/lines`, newest first, with `limit` (1–100, default 10), `starting_after`,
 * `ending_before` and `created` filters; `Authorization: Bearer` keys; Stripe's error shape; a
 * global and a per-endpoint rolling-window limit per key (25/s each, a sandbox's) and a
 * concurrency limit, whose 429s name the limiter in `Stripe-Rate-Limited-Reason`; seeded faults.
 * Its stats are served at `/__emulator/stats`.
 *
 * @param options - See {@link StripeEmulatorOptions}.
 * @returns The running emulator, once it listens.
 * @throws {RangeError} for an option out of range (e.g. a host that is not loopback).
 * @example
 * const emulator = await startEmulator({ tokens: ['sk_test_123'] });
 * await fetch(`${emulator.url}/v1/charges?limit=100`, { headers: { authorization: 'Bearer sk_test_123' } });
 * await emulator.close();
 */
export function startEmulator(options: StripeEmulatorOptions = {}): Promise<RunningEmulatorServer> {
  return startEmulatorServer(toServerOptions(options));
}
