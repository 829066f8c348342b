import { describe, expect, it } from 'vitest';
import { readJsonBody } from './read-json-body.js';

describe('readJsonBody', () => {
  it('parses the body and reports its size in bytes, not characters', async () => {
    const sizes: number[] = [];
    const body = await readJsonBody(new Response('{"name":"Société Générale"}'), {
      secrets: [],
      onBytes: (bytes) => sizes.push(bytes),
    });
    expect(body).toEqual({ json: { name: 'Société Générale' } });
    expect(sizes).toEqual([Buffer.byteLength('{"name":"Société Générale"}')]);
  });

  it('reads a body as response.text() does: a byte-order mark dropped, bad bytes replaced', async () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf, ...Buffer.from('{"page":1}'));
    expect(await readJsonBody(new Response(bom), { secrets: [] })).toEqual({ json: { page: 1 } });
    const bad = Uint8Array.of(...Buffer.from('"a'), 0xff, ...Buffer.from('b"'));
    expect(await readJsonBody(new Response(bad), { secrets: [] })).toEqual({ json: 'a\uFFFDb' });
  });

  it('quotes the redacted start of a body that is not JSON', async () => {
    const body = await readJsonBody(new Response('<html>token abc123 refused</html>'), {
      secrets: ['abc123'],
      quoteLength: 20,
    });
    expect(body).toEqual({ unparsable: '<html>token [redacte' });
  });
});
