import type { Connector, EmulatorStartOptions, LimiterLayer, RunningEmulator } from '@capital/core';
import { type LimiterKeys, parseRate } from '@capital/core';
import { stripeApiUrl } from './client.js';
import { parseCreatedGte } from './created-gte.js';
import { createStripeHandler } from './handler.js';
import type { StripeObject } from './schema.js';
import {
  defaultCredentialReference,
  type StripeListTask,
  type StripeObjectName,
  stripeListTask,
  stripeObjects,
} from './task.js';

/**
 * Stripe's list endpoints as a Capital connector:
 * `capital run stripe --object invoices [--created-gte 2025-01-01] [--with-lines]`.
 *
 * Line items (`--with-lines`) are written to the same output as their invoices, as Stripe's
 * `line_item` objects (keyed by their own `il_…` id, with `invoice` naming the parent), so one
 * run gives one stream; `object` tells invoices and lines apart.
 *
 * The default rate, 97 per 4 s (24.25/s, evenly spaced), uses 0.97 of a sandbox's 25/s global
 * limit and never puts more than 25 requests in a second at the server (see {@link endpointRate}
 * for why); a live account allows 100/s (`--rate 90/1s`), where each endpoint's own 25/s binds
 * first (see {@link stripeLimiterLayers}).
 */
export const connector: Connector<StripeListTask, StripeObject> = {
  name: 'stripe',
  description: "Stripe's customers, charges, invoices (with their lines) or balance transactions.",
  params: [
    {
      name: 'object',
      description: `the list to read: ${stripeObjects.join(', ')}`,
      default: 'charges',
    },
    {
      name: 'created-gte',
      description: 'only objects created at or after this date (2025-01-01, an ISO time or Unix seconds)',
    },
    { name: 'with-lines', description: "invoices: also every invoice's line items", switch: true },
  ],
  credential: { envVar: 'STRIPE_API_KEY', reference: defaultCredentialReference },
  defaultRate: '97/4s',
  // Stripe also limits requests in flight; 6 stays under it and keeps 24/s reachable when each
  // request takes up to ~250 ms (4 in flight would cap a 150 ms API at ~26/s before overhead).
  defaultConcurrency: 6,
  seeds: (params) => stripeSeeds(params),
  // `created` only grows, so a run asks for what was created since the last finished run
  // began. It sees new objects, not later changes to old ones (a refund on an old charge):
  // Stripe's lists filter on creation only; its events API is the way to follow updates.
  incremental: {
    cursorField: 'created',
    // Whole seconds, floored: `created[gte]` of the watermark's second re-reads that second.
    seedsSince: (params, since) =>
      stripeSeeds({ ...params, 'created-gte': String(Math.floor(since.getTime() / 1000)) }),
    // An object committed late with an earlier `created` is still caught (de-duplicated by id).
    lookBackMs: 10 * 60_000,
  },
  createHandler: (runtime) =>
    createStripeHandler({
      baseUrl: runtime.baseUrl ?? stripeApiUrl,
      resolveCredential: runtime.resolveCredential,
      ...(runtime.timeoutMs === undefined ? {} : { timeoutMs: runtime.timeoutMs }),
    }),
  limiterKey: (task, keys) => stripeLimiterLayers(task, keys),
  recordKey: (record) => record.id,
  startEmulator: (options) => startStripeEmulator(options),
};

/**
 * Stripe's rate limits are layered: every request counts against the account's global budget
 * and against its endpoint's own (25/s unless noted), and a 429 may come from either. So a
 * task takes its permit from both at once: the account's key at the limiter's rate (`--rate`,
 * 97/4s by default) and the endpoint's key at {@link endpointRate}.
 */
export function stripeLimiterLayers(task: StripeListTask, keys: LimiterKeys): LimiterLayer[] {
  // One budget per account: a keyed hash of the secret key the task's reference resolves to.
  const account = keys.forCredential('stripe', task.credentials);
  return [
    { key: account, name: 'account' },
    { key: `${account}:${task.list}`, rate: endpointRate, name: 'endpoint' },
  ];
}

/**
 * Each endpoint's own rate. Stripe allows 25/s per endpoint, live and sandbox alike; 97 per 4 s
 * (24.25/s, 0.97 of it, evenly spaced) keeps under it as the server counts, because a permit
 * older than half its interval when its request is written is spent and renewed: a second at
 * the server then holds at most ⌊24.25 × 1.0206⌋ + 1 = 25, however busy the machine (a late
 * permit costs throughput, never a request over the limit). The account's rate (the user's
 * `--rate`, 97/4s by default) is the same on a sandbox; in live mode (`--rate 90/1s`) this keeps
 * a single list under its endpoint's 25/s.
 */
export const endpointRate = '97/4s';

/**
 * The CLI's emulator options, mapped onto Stripe's: `rateLimit` sets both the global and the
 * endpoint layer; the tokens default to the CLI's `demo`.
 */
async function startStripeEmulator(options: EmulatorStartOptions = {}): Promise<RunningEmulator> {
  // The emulator is test code: loaded only when a run asks for it, never by the production path.
  const { startEmulator } = await import('./testing.js');
  const { rateLimit, latencyMs, faultRate, malformedRate, burst429Rate, tokens, port } = options;
  const rate = typeof rateLimit === 'string' ? parseRate(rateLimit, 'rateLimit') : undefined;
  const limit =
    rateLimit === false ? false : rate ? { limit: rate.limit, windowMs: rate.periodMs } : undefined;
  return startEmulator({
    // The CLI's demo token when none is given, as `capital emulator` announces.
    tokens: tokens ?? ['demo'],
    ...(port === undefined ? {} : { port }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(limit === undefined ? {} : { globalLimit: limit, endpointLimit: limit }),
    faults: {
      ...(faultRate === undefined ? {} : { faultRate }),
      ...(malformedRate === undefined ? {} : { malformedRate }),
      ...(burst429Rate === undefined ? {} : { burst429Rate }),
    },
  });
}

/** The one seed of a run: the chosen list, filtered by `created-gte` when given. */
function stripeSeeds(params: Readonly<Record<string, string>>): StripeListTask[] {
  const object = params.object ?? 'charges';
  if (!(stripeObjects as readonly string[]).includes(object)) {
    throw new RangeError(`--object takes ${stripeObjects.join(', ')}, got "${object.slice(0, 40)}".`);
  }
  const createdGte = params['created-gte'];
  return [
    stripeListTask({
      object: object as StripeObjectName,
      ...(createdGte === undefined ? {} : { createdGte: parseCreatedGte(createdGte) }),
      withLines: params['with-lines'] === 'true',
    }),
  ];
}
