import { describe, expect, it } from 'vitest';
import { prefixOf, quoteIdentifier, tableNameOf } from './quote-identifier.js';

describe('quoteIdentifier', () => {
  it('wraps a name in double quotes and doubles those inside, so SQL in it stays part of the name', () => {
    expect(quoteIdentifier('listings', 'table')).toBe('"listings"');
    expect(quoteIdentifier('x"; DROP TABLE y; --', 'table')).toBe('"x""; DROP TABLE y; --"');
    expect(quoteIdentifier('Mixed Case', 'table')).toBe('"Mixed Case"');
  });

  it('takes a name of exactly 63 bytes', () => {
    expect(quoteIdentifier(`${'é'.repeat(31)}a`, 'table')).toBe(`"${'é'.repeat(31)}a"`);
  });

  it.each([
    ['an empty name', '', /must be a non-empty string/],
    ['a NUL character', 'a\0b', /contains a NUL character/],
    ['64 bytes', 'é'.repeat(32), /is 64 bytes long; PostgreSQL would silently cut it to 63/],
  ])('refuses %s with INVALID_OPTION naming the option', (_, name, message) => {
    expect(() => quoteIdentifier(name, 'columns.record')).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: 'columns.record' }),
    );
    expect(() => quoteIdentifier(name, 'columns.record')).toThrow(message);
  });
});

describe('tableNameOf', () => {
  it.each([
    ['wtd.stock_search', 'wtd_stock_search'],
    ['Acme API / Orders (v2)', 'acme_api_orders_v2'],
    ['x"; DROP TABLE y; --', 'x_drop_table_y'],
    ['...', ''],
  ])('names the table of stream %j %j', (stream, table) => {
    expect(tableNameOf(stream)).toBe(table);
  });
});

describe('prefixOf', () => {
  it('cuts a name by whole characters to fit the bytes given, and leaves a short one as it is', () => {
    expect(prefixOf('items', 56)).toBe('items');
    // 'é' is 2 bytes: 31 of them and 'a' are 63; 56 bytes hold 28 of them, not 28½.
    expect(prefixOf(`${'é'.repeat(31)}a`, 56)).toBe('é'.repeat(28));
    expect(prefixOf(`a${'é'.repeat(31)}`, 56)).toBe(`a${'é'.repeat(27)}`);
  });
});
