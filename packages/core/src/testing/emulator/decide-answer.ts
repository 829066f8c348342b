import type { Authenticator } from './auth.js';
import type { EmulatorError, ErrorResponder } from './emulator-error.js';
import type { EmulatorResponse } from './emulator-response.js';
import { withHeaders } from './emulator-response.js';
import type { StatsRecorder } from './emulator-stats.js';
import { malformedResponse, serverErrorResponse } from './fault-responses.js';
import type { FaultDecision, FaultOptions } from './faults.js';
import type { LayeredRateLimiter } from './rate-limits.js';
import type { EmulatorRequest, RouteTable, Served } from './route-table.js';

/** Everything the answer to one request depends on, besides the request. */
export type AnswerContext = {
  readonly table: RouteTable;
  readonly auth: Authenticator | undefined;
  readonly limits: LayeredRateLimiter;
  readonly faults: FaultOptions;
  readonly decideFault: () => FaultDecision;
  readonly drawSlowMs: () => number;
  readonly now: () => number;
  readonly errorResponse: ErrorResponder;
  readonly stats: StatsRecorder;
};

/** A decided answer, not yet sent, and what the stats should learn from it. */
export type Answer = {
  /** `reset` when the connection is to be dropped without an answer. */
  readonly response: EmulatorResponse | 'reset';
  /** The matched route's name, `(none)` when nothing matched. */
  readonly route: string;
  /** What refused the request, for a 429. */
  readonly limited?: string;
  readonly malformed?: boolean;
  /** What a good answer served. */
  readonly served?: Served;
  /** Extra delay drawn for a slow request, in milliseconds. */
  readonly slowMs?: number;
  /** Frees the request's concurrency slot. */
  readonly release?: () => void;
};

/** The principal whose budgets a request without a token check charges. */
const ANONYMOUS = '(anonymous)';

/**
 * Decides the answer to one request, in the order an API gateway would:
 *
 * 1. no route has the path → 404; a route has it, not the method → 405 with `Allow`;
 * 2. the token check, unless the route opts out → 401 (the token never echoed back);
 * 3. the rate limit layers and the concurrency limit, together → 429 (a refused request takes no slot);
 * 4. the route's own answer (its 4xx always go through, so client bugs show);
 * 5. for a 2xx, an injected fault if one is drawn: 5xx, broken body, 429 or reset;
 * 6. the good answer.
 *
 * @param method - The request's method, upper case.
 * @param path - The request's path, still percent-encoded.
 * @param readRequest - Builds the request once the route is known (reading a body only then).
 * @param context - Routes, token check, limits, faults, clock, error wording and stats.
 * @returns The answer.
 */
export async function decideAnswer(
  method: string,
  path: string,
  readRequest: (params: Record<string, string>) => Promise<EmulatorRequest | 'too-large'>,
  context: AnswerContext,
): Promise<Answer> {
  const error = (failure: EmulatorError, headers: Record<string, string> = {}) =>
    withHeaders(context.errorResponse(failure), headers);
  const match = context.table.match(method, path);
  if (match.kind === 'not-found') {
    return { route: '(none)', response: error({ status: 404, code: 'not_found', message: 'Not found.' }) };
  }
  if (match.kind === 'method-not-allowed') {
    const response = error(
      { status: 405, code: 'method_not_allowed', message: 'Method not allowed.' },
      { allow: match.allow.join(', ') },
    );
    return { route: '(none)', response };
  }
  const route = match.name;
  const request = await readRequest(match.params);
  if (request === 'too-large') {
    return {
      route,
      response: error({ status: 413, code: 'payload_too_large', message: 'Payload too large.' }),
    };
  }

  let principal: string | undefined;
  if (match.route.auth !== false && context.auth !== undefined) {
    const decision = context.auth(request);
    if (!decision.ok)
      return { route, response: error({ status: 401, code: 'unauthorized', message: decision.message }) };
    principal = decision.principal;
  }
  const arrivedAt = context.now();
  if (principal !== undefined) context.stats.arrived(principal, arrivedAt);

  const admitted = context.limits.admit(principal ?? ANONYMOUS, route, arrivedAt);
  if (!admitted.allowed) {
    const { limit, retryAfterMs } = admitted;
    const response = tooManyRequests(context, limit, retryAfterMs, admitted.headers);
    return { route, response, limited: limit };
  }
  const release = admitted.release;

  let good: EmulatorResponse & { readonly served?: Served };
  try {
    good = await match.route.handle(request, { route, principal, now: context.now });
  } catch {
    return { route, release, response: error({ status: 500, code: 'internal', message: 'Emulator error.' }) };
  }
  const { served, ...response } = good;
  if (response.status < 200 || response.status > 299) {
    return { route, release, response: withHeaders(response, admitted.headers) };
  }

  const fault = context.decideFault();
  const slowMs = context.drawSlowMs();
  const base = { route, release, slowMs };
  switch (fault.kind) {
    case 'burst-429': {
      const retryAfterMs = context.faults.burst429RetryAfterMs ?? 1000;
      return {
        ...base,
        limited: 'burst',
        response: tooManyRequests(context, 'burst', retryAfterMs, admitted.headers),
      };
    }
    case 'server-error':
      return {
        ...base,
        response: withHeaders(
          serverErrorResponse(fault.status, fault.body, context.errorResponse),
          admitted.headers,
        ),
      };
    case 'malformed': {
      const broken = malformedResponse(response, fault.body, context.faults.dataField);
      return { ...base, malformed: true, response: withHeaders(broken, admitted.headers) };
    }
    case 'reset':
      return { ...base, response: 'reset' };
    case 'none':
      return {
        ...base,
        response: withHeaders(response, admitted.headers),
        ...(served === undefined ? {} : { served }),
      };
  }
}

function tooManyRequests(
  context: AnswerContext,
  limit: string,
  retryAfterMs: number,
  limitHeaders: Readonly<Record<string, string>>,
): EmulatorResponse {
  const retryHeaders = context.limits.retryHeaders(retryAfterMs);
  const seconds = retryHeaders['retry-after'];
  const message =
    seconds === undefined ? 'Too many requests.' : `Too many requests. Try again in ${seconds} second(s).`;
  const response = context.errorResponse({ status: 429, code: 'rate_limited', message, retryAfterMs, limit });
  return withHeaders(response, { ...limitHeaders, ...retryHeaders });
}
