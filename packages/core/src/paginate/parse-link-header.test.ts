import { describe, expect, it } from 'vitest';
import { parseLinkHeader } from './parse-link-header.js';

describe('parseLinkHeader', () => {
  it('reads several links with their relation types', () => {
    expect(
      parseLinkHeader(
        '<https://api.test/items?page=2>; rel="next", <https://api.test/items?page=9>; rel="last"',
      ),
    ).toEqual([
      { uri: 'https://api.test/items?page=2', rel: ['next'], params: {} },
      { uri: 'https://api.test/items?page=9', rel: ['last'], params: {} },
    ]);
  });

  it('keeps commas and semicolons inside quoted parameters and inside the target', () => {
    const links = parseLinkHeader(
      '<https://api.test/a;b,c>; title="one, two; three"; rel="next", </x>; rel=prev',
    );
    expect(links).toEqual([
      { uri: 'https://api.test/a;b,c', rel: ['next'], params: { title: 'one, two; three' } },
      { uri: '/x', rel: ['prev'], params: {} },
    ]);
  });

  it('splits a rel list and lower-cases relation types and parameter names', () => {
    expect(parseLinkHeader('<https://api.test/2>; REL="Next Last"; Title=Two')).toEqual([
      { uri: 'https://api.test/2', rel: ['next', 'last'], params: { title: 'Two' } },
    ]);
  });

  it('unescapes quoted-pairs in quoted values', () => {
    expect(parseLinkHeader('</2>; rel="next"; title="say \\"hi\\", then go"')[0]?.params).toEqual({
      title: 'say "hi", then go',
    });
  });

  it('counts only the first rel of a link, as RFC 8288 §3.3 says', () => {
    expect(parseLinkHeader('</2>; rel="prev"; rel="next"')[0]?.rel).toEqual(['prev']);
  });

  it('tolerates whitespace, empty parameters and stray text between links', () => {
    expect(
      parseLinkHeader('  junk ,< /2 > ;; rel = next ; hreflang , garbage "a,b", </3>;rel="last"  '),
    ).toEqual([
      { uri: '/2', rel: ['next'], params: { hreflang: '' } },
      { uri: '/3', rel: ['last'], params: {} },
    ]);
  });

  it('finds no links in an empty or malformed header', () => {
    expect(parseLinkHeader('')).toEqual([]);
    expect(parseLinkHeader('rel="next"')).toEqual([]);
    expect(parseLinkHeader('<https://api.test/unclosed; rel="next"')).toEqual([]);
  });

  it('gives a link without rel an empty relation list', () => {
    expect(parseLinkHeader('<https://api.test/2>; title="x"')[0]?.rel).toEqual([]);
  });
});
