import { fc, it } from '@fast-check/vitest';
import ky from 'ky';
import { describe, expect } from 'vitest';
import { stockSearchUrl } from './request-url.js';

/** The URL ky gives `fetch` for the request the client made before it built the URL itself. */
async function kyUrl(baseUrl: string, searchTerm: string, limit: number, page: number, token: string) {
  let seen: string | undefined;
  await ky.get('api/v1/stock_search', {
    prefixUrl: baseUrl,
    searchParams: { search_term: searchTerm, limit, page, api_token: token },
    retry: 0,
    throwHttpErrors: false,
    fetch: async (input) => {
      seen = (input as Request).url;
      return new Response('{}');
    },
  });
  return seen;
}

const baseUrl = fc.oneof(
  fc.webUrl(),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.webUrl().map((url) => `${url}/`),
  fc.constantFrom(
    'http://127.0.0.1:8080',
    'http://127.0.0.1:8080/',
    'http://user:pw@h:1/base/',
    'HTTP://H/x?y=1#z',
  ),
);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('new york', 'a+b&c=d', 'é%20~!*'),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e21, -0, Number.NaN));

describe('stockSearchUrl', () => {
  it.prop([baseUrl, text, number, number, text])(
    'is the URL ky builds from prefixUrl and searchParams, to the byte',
    async (base, searchTerm, limit, page, token) => {
      const url = stockSearchUrl({ baseUrl: base, searchTerm, limit, page, token });
      const expected = await kyUrl(base, searchTerm, limit, page, token).catch(() => 'refused');
      // Where ky refuses the request (credentials in the URL), the client leaves it to ky.
      if (expected === 'refused') expect(url).toBeUndefined();
      else expect(url).toBe(expected);
    },
  );

  it('is undefined for a base URL that is not one, or holds credentials: ky is left to refuse them', () => {
    for (const base of ['not a url', 'http://user:pw@127.0.0.1:8080/']) {
      expect(
        stockSearchUrl({ baseUrl: base, searchTerm: 'a', limit: 1, page: 1, token: 't' }),
      ).toBeUndefined();
    }
  });
});
