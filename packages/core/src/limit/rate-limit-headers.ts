/**
 * A limit an API announced in its response headers. Each field is present only when the headers
 * stated it with a value in range; everything else a server sent is ignored.
 */
export type AnnouncedLimit = {
  /** Requests allowed per window. */
  readonly limit?: number;
  /** The window, in ms, when the headers state it (`w=`). */
  readonly windowMs?: number;
  /** Requests left in the current window. */
  readonly remaining?: number;
  /** Time until the window resets, in ms. */
  readonly resetMs?: number;
};

/** Bounds of what is believed: anything outside is a broken or hostile header. */
const maxLimit = 1_000_000;
const maxWindowMs = 86_400_000;
/** A header longer than this is not parsed at all. */
const maxFieldLength = 1024;
/** Above this, an `X-RateLimit-Reset` is read as seconds since the epoch (GitHub's), not a delay. */
const epochThreshold = 1_000_000_000;

/**
 * Reads the rate-limit headers an API sends, in every common spelling:
 *
 * - the IETF draft's structured fields, `RateLimit-Policy: "default";q=100;w=60` and
 *   `RateLimit: "default";r=50;t=30` (`l=` for `q=` in earlier revisions; several policies: the
 *   tightest, the least quota per ms of window);
 * - the earlier drafts' `RateLimit-Limit` (a number, optionally followed by policies such as
 *   `10, 10;w=1`), `RateLimit-Remaining` and `RateLimit-Reset` (seconds);
 * - `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds from now, or
 *   seconds since the epoch when it is that large).
 *
 * Headers are hostile input: a value that is not a plain whole number, negative, absurdly large
 * (a limit over a million, a window or reset over a day) or a field over 1 KB is dropped, never
 * guessed at; a remaining count above the limit is cut to it.
 *
 * @returns what the headers stated, or `undefined` when they stated nothing usable.
 * @example parseRateLimitHeaders(new Headers({ 'ratelimit-policy': '"d";q=10;w=1' })) // { limit: 10, windowMs: 1000 }
 */
export function parseRateLimitHeaders(
  headers: Headers,
  now: number = Date.now(),
): AnnouncedLimit | undefined {
  const policy =
    tightestPolicy(field(headers, 'ratelimit-policy')) ?? tightestPolicy(field(headers, 'ratelimit-limit'));
  const current = currentLimit(field(headers, 'ratelimit'));
  let limit = policy?.limit;
  const windowMs = policy?.windowMs;
  let remaining = current?.remaining;
  let resetMs = current?.resetMs;
  for (const prefix of ['ratelimit-', 'x-ratelimit-']) {
    limit ??= wholeNumber(firstMember(field(headers, `${prefix}limit`)), 1, maxLimit);
    remaining ??= wholeNumber(field(headers, `${prefix}remaining`), 0, Number.MAX_SAFE_INTEGER);
    resetMs ??= resetOf(field(headers, `${prefix}reset`), prefix === 'x-ratelimit-', now);
  }
  if (limit !== undefined && remaining !== undefined) remaining = Math.min(remaining, limit);
  if (remaining !== undefined) remaining = Math.min(remaining, maxLimit);
  const announced: AnnouncedLimit = {
    ...(limit === undefined ? {} : { limit }),
    ...(windowMs === undefined ? {} : { windowMs }),
    ...(remaining === undefined ? {} : { remaining }),
    ...(resetMs === undefined ? {} : { resetMs }),
  };
  return Object.keys(announced).length === 0 ? undefined : announced;
}

/**
 * The window of an announcement, in ms: the one stated, or, when none is, the reset when the
 * window has just begun (nothing used but this request), since then the reset is the whole
 * window. `undefined` when it cannot be told.
 * @example announcedWindowMs({ limit: 10, remaining: 9, resetMs: 1000 }) // 1000
 */
export function announcedWindowMs(announced: AnnouncedLimit): number | undefined {
  const { limit, windowMs, remaining, resetMs } = announced;
  if (windowMs !== undefined) return windowMs;
  if (limit === undefined || remaining === undefined || resetMs === undefined) return undefined;
  return resetMs > 0 && remaining >= limit - 1 ? resetMs : undefined;
}

function field(headers: Headers, name: string): string | undefined {
  const value = headers.get(name);
  return value === null || value.length > maxFieldLength ? undefined : value.trim();
}

/** A whole decimal number within bounds, or undefined: no signs, fractions, exponents or hex. */
function wholeNumber(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** The first member of a list (`10, 10;w=1` → `10`), without parameters. */
function firstMember(text: string | undefined): string | undefined {
  return text?.split(',')[0]?.split(';')[0]?.trim();
}

function resetOf(text: string | undefined, mayBeEpoch: boolean, now: number): number | undefined {
  const seconds = wholeNumber(text, 0, Number.MAX_SAFE_INTEGER);
  if (seconds === undefined) return undefined;
  const ms = mayBeEpoch && seconds >= epochThreshold ? seconds * 1000 - now : seconds * 1000;
  return ms >= 0 && ms <= maxWindowMs ? ms : undefined;
}

type Member = { readonly item: string; readonly params: ReadonlyMap<string, string> };

/**
 * A Structured Fields list (RFC 8941), as far as these headers need it: members split on commas
 * outside quoted strings, each an item and `;key=value` parameters.
 */
function members(text: string | undefined): Member[] {
  if (text === undefined || text === '') return [];
  return splitOutsideQuotes(text, ',').map((part) => {
    const [item = '', ...rest] = splitOutsideQuotes(part, ';').map((piece) => piece.trim());
    const params = new Map<string, string>();
    for (const param of rest) {
      const [key = '', value = ''] = param.split('=', 2).map((piece) => piece.trim());
      if (!params.has(key)) params.set(key, value);
    }
    return { item, params };
  });
}

/** Splits on `separator` where it is not inside a quoted string (with `\"` escapes). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let escaped = false;
  for (const char of text) {
    if (quoted && escaped) escaped = false;
    else if (quoted && char === '\\') escaped = true;
    else if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/** Of the policies a field lists, the one allowing the fewest requests per ms of window. */
function tightestPolicy(text: string | undefined): { limit: number; windowMs: number } | undefined {
  let tightest: { limit: number; windowMs: number } | undefined;
  for (const { item, params } of members(text)) {
    // New drafts: q= (l= in some revisions); old drafts: the item itself is the quota.
    const limit = wholeNumber(params.get('q') ?? params.get('l') ?? item, 1, maxLimit);
    const seconds = wholeNumber(params.get('w'), 1, maxWindowMs / 1000);
    if (limit === undefined || seconds === undefined) continue;
    const candidate = { limit, windowMs: seconds * 1000 };
    if (tightest === undefined || limit / candidate.windowMs < tightest.limit / tightest.windowMs) {
      tightest = candidate;
    }
  }
  return tightest;
}

/** `RateLimit: "default";r=50;t=30`: the member with the fewest requests remaining. */
function currentLimit(text: string | undefined): { remaining?: number; resetMs?: number } | undefined {
  let found: { remaining?: number; resetMs?: number } | undefined;
  for (const { params } of members(text)) {
    const remaining = wholeNumber(params.get('r'), 0, Number.MAX_SAFE_INTEGER);
    const reset = wholeNumber(params.get('t'), 0, maxWindowMs / 1000);
    if (remaining === undefined) continue;
    if (found?.remaining === undefined || remaining < found.remaining) {
      found = { remaining, ...(reset === undefined ? {} : { resetMs: reset * 1000 }) };
    }
  }
  return found;
}
