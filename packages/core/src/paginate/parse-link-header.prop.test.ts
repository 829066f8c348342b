import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseLinkHeader } from './parse-link-header.js';

const token = fc.stringMatching(/^[a-z][a-z0-9.-]{0,9}$/);

/** Links as a server may write them: any target, a rel list, parameters holding `,` `;` `"` `\`. */
const links = fc.array(
  fc.record({
    uri: fc.webUrl({ withQueryParameters: true }),
    rel: fc.uniqueArray(token, { minLength: 1, maxLength: 3 }),
    params: fc.dictionary(
      token.filter((name) => name !== 'rel'),
      fc.string({ maxLength: 12 }),
      { maxKeys: 3 },
    ),
    space: fc.constantFrom('', ' ', '  '),
  }),
  { maxLength: 5 },
);

const quote = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

describe('parseLinkHeader, on generated headers', () => {
  it.prop([links])('reads back every link, its relation types and its parameters', (written) => {
    const header = written
      .map(({ uri, rel, params, space }) =>
        [
          `<${uri}>`,
          `rel=${quote(rel.join(' '))}`,
          ...Object.entries(params).map(([name, value]) => `${name}=${quote(value)}`),
        ].join(`${space};${space}`),
      )
      .join(', ');
    expect(parseLinkHeader(header)).toEqual(
      written.map(({ uri, rel, params }) => ({ uri, rel, params: { ...params } })),
    );
  });
});
