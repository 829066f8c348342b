import type { EmulatorRequest } from './route-table.js';

/** What a token check decided. */
export type AuthDecision =
  /** Admitted; `principal` (the token) keys the rate limits and the stats' arrivals. */
  | { readonly ok: true; readonly principal: string }
  /** Refused: answered 401 with `message`, worded by the API's `errorResponse`. */
  | { readonly ok: false; readonly message: string };

/** A token check: reads the credential from the request, never echoes it. */
export type Authenticator = (request: EmulatorRequest) => AuthDecision;

/** Options of {@link queryTokenAuth}. */
export type QueryTokenAuthOptions = {
  /** The query parameter that carries the token, e.g. `api_token`. */
  readonly param: string;
  /** The tokens accepted. */
  readonly tokens: readonly string[];
  /**
   * The 401 message for a missing or unknown token.
   * @default 'Invalid API token.'
   */
  readonly message?: string;
};

/**
 * A token in the query string, as World Trading Data (`?api_token=…`) took it.
 *
 * @param options - The parameter and the accepted tokens; see {@link QueryTokenAuthOptions}.
 * @returns The check.
 * @example queryTokenAuth({ param: 'api_token', tokens: ['demo'] })
 */
export function queryTokenAuth(options: QueryTokenAuthOptions): Authenticator {
  const tokens = new Set(options.tokens);
  const refused = { ok: false, message: options.message ?? 'Invalid API token.' } as const;
  return (request) => {
    const token = request.query.get(options.param);
    return token !== null && tokens.has(token) ? { ok: true, principal: token } : refused;
  };
}

/** Options of {@link bearerAuth}. */
export type BearerAuthOptions = {
  /** The tokens accepted, e.g. `['sk_test_123']`. */
  readonly tokens: readonly string[];
  /**
   * The 401 message when the `Authorization` header is missing or not `Bearer <token>`.
   * @default 'You did not provide an API key.'
   */
  readonly missingMessage?: string;
  /**
   * The 401 message for an unknown token; it never contains the token.
   * @default 'Invalid API key provided.'
   */
  readonly invalidMessage?: string;
};

/**
 * A token in `Authorization: Bearer <token>` (RFC 6750), as Stripe takes its secret keys.
 * The scheme is matched without regard to case, as RFC 9110 asks.
 *
 * @param options - The accepted tokens and messages; see {@link BearerAuthOptions}.
 * @returns The check.
 * @example bearerAuth({ tokens: ['sk_test_123'] })
 */
export function bearerAuth(options: BearerAuthOptions): Authenticator {
  const tokens = new Set(options.tokens);
  const missing = {
    ok: false,
    message: options.missingMessage ?? 'You did not provide an API key.',
  } as const;
  const invalid = { ok: false, message: options.invalidMessage ?? 'Invalid API key provided.' } as const;
  return (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    const token = match?.[1];
    if (token === undefined) return missing;
    return tokens.has(token) ? { ok: true, principal: token } : invalid;
  };
}
