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
});
