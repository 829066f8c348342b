/**
 * Test helpers of `@capital/stripe-connector`: a local emulator of Stripe's list endpoints and
 * the seeded account it serves.
 *
 * @example
 * import { generateAccount, startEmulator } from '@capital/stripe-connector/testing';
 * const emulator = await startEmulator({ account: generateAccount({ charges: 20_000 }), latencyMs: 20 });
 */

export type { RunningEmulatorServer as RunningEmulator } from '@capital/core/testing';
export type { EmulatedObject, GenerateAccountOptions, StripeAccount } from './emulator/dataset.js';
export { ACCOUNT_NEWEST, ACCOUNT_OLDEST, generateAccount } from './emulator/dataset.js';
export type { StripeEmulatorOptions, WindowLimit } from './emulator/emulator-options.js';
export { stripeRoutes } from './emulator/emulator-options.js';
export { startEmulator } from './emulator/server.js';
export { stripeError, stripeErrorResponse } from './emulator/stripe-errors.js';
