import * as v from 'valibot';

/** One listing, as the API returned it. Unknown extra fields are kept, not dropped. */
export const listingSchema = v.looseObject({
  symbol: v.pipe(v.string(), v.nonEmpty()),
  name: v.string(),
  currency: v.nullable(v.string()),
  price: v.nullable(v.union([v.string(), v.number()])),
  stock_exchange_long: v.nullable(v.string()),
  stock_exchange_short: v.nullable(v.string()),
});

/** A stock search listing. */
export type Listing = v.InferOutput<typeof listingSchema>;

/** A page of stock search results: totals and the listings. */
export const stockSearchPageSchema = v.object({
  total_returned: v.pipe(v.number(), v.integer(), v.minValue(0)),
  total_results: v.pipe(v.number(), v.integer(), v.minValue(0)),
  total_pages: v.pipe(v.number(), v.integer(), v.minValue(0)),
  limit: v.pipe(v.number(), v.integer(), v.minValue(1)),
  page: v.pipe(v.number(), v.integer(), v.minValue(1)),
  data: v.array(listingSchema),
});

/** A validated page of stock search results. */
export type StockSearchPage = v.InferOutput<typeof stockSearchPageSchema>;

/**
 * The body the API sent with an error: `{ "message": "…" }`, or `{ "Message": "…" }` with a
 * capital M, as the real service answered a refused key (with status 200).
 */
export const errorBodySchema = v.union([
  v.object({ message: v.string() }),
  v.object({ Message: v.string() }),
]);
