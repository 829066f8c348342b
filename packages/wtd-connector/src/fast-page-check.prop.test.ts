import { fc, it } from '@fast-check/vitest';
import * as v from 'valibot';
import { describe, expect } from 'vitest';
import { generateListings } from './emulator/dataset.js';
import { fastStockSearchPage } from './fast-page-check.js';
import { stockSearchPageSchema } from './schema.js';

/** A field as an API might send it: right, wrong, missing, or one valibot treats specially. */
const field = fc.oneof(
  fc.string(),
  fc.constant(''),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(undefined),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.jsonValue({ maxDepth: 1 }),
);
const listing = fc.dictionary(
  fc.constantFrom(
    'symbol',
    'name',
    'currency',
    'price',
    'stock_exchange_long',
    'stock_exchange_short',
    'extra',
    '__proto__',
    'constructor',
    'prototype',
  ),
  field,
  { maxKeys: 10 },
);
const total = fc.oneof(fc.nat(), fc.integer({ min: -2, max: 2 }), fc.double(), field);
/** Pages close enough to valid that both checks have something to decide. */
const nearPage = fc.record(
  {
    total_returned: total,
    total_results: total,
    total_pages: total,
    limit: total,
    page: total,
    data: fc.oneof(fc.array(listing, { maxLength: 4 }), field),
    extra: field,
  },
  { requiredKeys: [] },
);
/** Bodies as JSON.parse makes them: what the client sees. */
const asParsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

describe('fastStockSearchPage', () => {
  it.prop([fc.oneof(nearPage, fc.anything())], { numRuns: 2000 })(
    'says yes only where valibot says yes, with the same page',
    (raw) => {
      for (const body of [raw, asParsed(raw)]) {
        const fast = fastStockSearchPage(body);
        if (fast === undefined) continue;
        const parsed = v.safeParse(stockSearchPageSchema, body);
        expect(parsed.success).toBe(true);
        expect(fast).toStrictEqual(parsed.output);
      }
    },
  );

  it.prop([fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 2 ** 31 - 1 })])(
    'takes every page the emulator serves',
    (size, seed) => {
      const data = asParsed(generateListings({ size, seed }));
      const body = { total_returned: size, total_results: size, total_pages: 1, limit: 50, page: 1, data };
      expect(fastStockSearchPage(body)).toStrictEqual(v.parse(stockSearchPageSchema, body));
    },
  );

  it('leaves a listing with a __proto__ field to valibot, which drops the field', () => {
    const body = JSON.parse(
      '{"total_returned":1,"total_results":1,"total_pages":1,"limit":50,"page":1,"data":[{"symbol":"A","name":"a","currency":null,"price":1,"stock_exchange_long":null,"stock_exchange_short":null,"__proto__":{"x":1}}]}',
    );
    expect(fastStockSearchPage(body)).toBeUndefined();
  });
});
