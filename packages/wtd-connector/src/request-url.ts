/** The endpoint, as ky joins it to its `prefixUrl`. */
const endpoint = 'api/v1/stock_search';

/** What one page's URLs are made of. */
export type StockSearchQuery = {
  readonly baseUrl: string;
  readonly searchTerm: string;
  readonly limit: number;
  readonly page: number;
  readonly token: string;
};

/**
 * The URL of one stock-search request, the very string ky makes of `prefixUrl: baseUrl` and
 * `searchParams: { search_term, limit, page, api_token }` (pinned by `request-url.prop.test.ts`),
 * and the span's URL, the same query without the token. Given this string, ky builds one
 * Request a call; given `searchParams`, it builds three (the prefixed URL, then twice more with
 * the query spliced in), which at 0 ms latency cost ~30 µs a page.
 *
 * `undefined` for a base URL that is not a URL, or holds credentials: the caller then lets ky
 * build the request (and refuse it) as it always did.
 */
export function stockSearchUrl(query: StockSearchQuery, search = searchQuery(query)): string | undefined {
  const parts = partsOf(query.baseUrl);
  if (parts === undefined) return undefined;
  return `${parts.head}?${search}&api_token=${formEncode(query.token)}${parts.tail}`;
}

/**
 * The query without the token: `search_term=…&limit=…&page=…`, as URLSearchParams writes it.
 * The client makes it once a page, for the request's URL and the span's.
 */
export function searchQuery(query: Omit<StockSearchQuery, 'baseUrl' | 'token'>): string {
  return `search_term=${formEncode(query.searchTerm)}&limit=${numberParam(query.limit)}&page=${numberParam(query.page)}`;
}

/** A number as URLSearchParams writes it: a whole one's digits (and sign) need no encoding. */
function numberParam(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : formEncode(String(value));
}

/**
 * A value as `URLSearchParams` serialises it (application/x-www-form-urlencoded): the bytes it
 * leaves as they are need no work; any other value goes through `URLSearchParams` itself.
 */
function formEncode(value: string): string {
  return plain.test(value) ? value : new URLSearchParams([['', value]]).toString().slice(1);
}

const plain = /^[\w*.-]*$/;

type UrlParts = { readonly head: string; readonly tail: string };

/** Per base URL: the endpoint's URL as ky's Request parses it, split where ky puts the query. */
const partsByBase = new Map<string, UrlParts | undefined>();

function partsOf(baseUrl: string): UrlParts | undefined {
  let parts = partsByBase.get(baseUrl);
  if (parts === undefined && !partsByBase.has(baseUrl)) {
    parts = splitForQuery(baseUrl);
    // Tasks may come from a queue: whatever base URLs they carry, the cache stays small.
    if (partsByBase.size >= 64) partsByBase.clear();
    partsByBase.set(baseUrl, parts);
  }
  return parts;
}

function splitForQuery(baseUrl: string): UrlParts | undefined {
  // ky: `prefixUrl` with a `/` added if it has none, then the input; parsed by `new Request`.
  const prefixed = `${baseUrl}${baseUrl.endsWith('/') ? '' : '/'}${endpoint}`;
  let parsed: URL;
  try {
    parsed = new URL(prefixed);
  } catch {
    return undefined;
  }
  // A Request refuses such a URL: ky is left to refuse it as it did, with no query in the error.
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  const href = parsed.href;
  // ky replaces this match of the parsed URL with `?` and the query: any query there was, up
  // to the fragment (which stays).
  const match = /(?:\?.*?)?(?=#|$)/.exec(href);
  if (match === null) return undefined;
  return { head: href.slice(0, match.index), tail: href.slice(match.index + match[0].length) };
}
