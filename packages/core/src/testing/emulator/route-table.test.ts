import { describe, expect, it } from 'vitest';
import { jsonResponse } from './emulator-response.js';
import type { Route } from './route-table.js';
import { RouteTable } from './route-table.js';

const handle = () => jsonResponse(200, {});
const route = (method: string, path: string, name?: string): Route => ({
  method,
  path,
  handle,
  ...(name === undefined ? {} : { name }),
});

describe('RouteTable', () => {
  const table = new RouteTable([
    route('GET', '/v1/invoices/upcoming'),
    route('GET', '/v1/invoices/:id'),
    route('GET', '/v1/invoices/:id/lines'),
    route('POST', '/v1/invoices/:id'),
    route('get', '/v1/charges', 'charges'),
  ]);

  it('matches a pattern and hands over its decoded parameters', () => {
    const match = table.match('GET', '/v1/invoices/in%201/lines');
    expect(match).toMatchObject({
      kind: 'found',
      name: 'GET /v1/invoices/:id/lines',
      params: { id: 'in 1' },
    });
  });

  it('prefers the first route listed, so a literal path listed first wins over a pattern', () => {
    expect(table.match('GET', '/v1/invoices/upcoming')).toMatchObject({
      kind: 'found',
      name: 'GET /v1/invoices/upcoming',
      params: {},
    });
  });

  it('uses a given name and upper-cases methods', () => {
    expect(table.match('get', '/v1/charges')).toMatchObject({ kind: 'found', name: 'charges' });
  });

  it('says which methods a known path allows', () => {
    expect(table.match('DELETE', '/v1/invoices/in_1')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'POST'],
    });
  });

  it('does not match an empty segment, an extra segment or an unknown path', () => {
    expect(table.match('GET', '/v1/invoices//lines').kind).toBe('not-found');
    expect(table.match('GET', '/v1/invoices/in_1/lines/extra').kind).toBe('not-found');
    expect(table.match('GET', '/v2/charges').kind).toBe('not-found');
  });

  it('treats a parameter with broken percent-encoding as no match', () => {
    expect(table.match('GET', '/v1/invoices/%E0%A4%A/lines').kind).toBe('not-found');
  });

  it('keeps regular expression characters in a path literal', () => {
    const dotted = new RouteTable([route('GET', '/v1/a.b')]);
    expect(dotted.match('GET', '/v1/a.b').kind).toBe('found');
    expect(dotted.match('GET', '/v1/axb').kind).toBe('not-found');
  });

  it('keeps a parameter named __proto__ a plain value', () => {
    const odd = new RouteTable([route('GET', '/x/:__proto__')]);
    const match = odd.match('GET', '/x/1');
    expect(match.kind === 'found' && Object.getOwnPropertyDescriptor(match.params, '__proto__')?.value).toBe(
      '1',
    );
  });

  it('refuses a path without a leading slash, a nameless parameter and two routes of one name', () => {
    expect(() => new RouteTable([route('GET', 'v1/charges')])).toThrow(RangeError);
    expect(() => new RouteTable([route('GET', '/v1/:')])).toThrow(RangeError);
    expect(() => new RouteTable([route('GET', '/a', 'same'), route('GET', '/b', 'same')])).toThrow(
      RangeError,
    );
  });
});
