import type { Connector } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../cli-error.js';
import { readConnectorParams } from './connector-params.js';

const connector = {
  params: [
    { name: 'object', description: 'the list', default: 'charges' },
    { name: 'created-gte', description: 'a date' },
    { name: 'with-lines', description: 'lines too', switch: true },
    { name: 'search', description: 'a term', required: true },
    { name: 'pages', description: 'how many', type: 'integer' },
    { name: 'since', description: 'from when', type: 'date' },
  ],
} as unknown as Connector;

describe('readConnectorParams', () => {
  it('reads a dashed flag under the name commander gives it (createdGte)', () => {
    expect(readConnectorParams(connector, { createdGte: '2025-01-01', search: 'x' })).toEqual({
      object: 'charges',
      'created-gte': '2025-01-01',
      search: 'x',
    });
  });

  it("gives a switch the value 'true' when given and leaves it out otherwise", () => {
    expect(readConnectorParams(connector, { withLines: true, search: 'x' })['with-lines']).toBe('true');
    expect(readConnectorParams(connector, { search: 'x' })).not.toHaveProperty('with-lines');
  });

  it('refuses a missing required parameter', () => {
    expect(() => readConnectorParams(connector, {})).toThrow(CliUsageError);
  });

  it('passes an integer or a date parameter through as the text given', () => {
    const params = readConnectorParams(connector, { search: 'x', pages: '-12', since: '2026-01-31T12:00Z' });
    expect(params).toMatchObject({ pages: '-12', since: '2026-01-31T12:00Z' });
  });

  it('refuses an integer parameter that is not a whole number, naming the flag but not the value', () => {
    for (const pages of ['1.5', '12abc', '', '99999999999999999', 'ten']) {
      expect(() => readConnectorParams(connector, { search: 'x', pages })).toThrow(
        /^--pages takes a whole number: how many\.$/,
      );
    }
  });

  it('refuses a date parameter that is not an ISO 8601 date', () => {
    for (const since of ['2026-02-31', '31/01/2026', 'yesterday', '2026-1-5', '2026-01-31T25:00Z']) {
      expect(() => readConnectorParams(connector, { search: 'x', since })).toThrow(
        /^--since takes an ISO 8601 date/,
      );
    }
  });
});
