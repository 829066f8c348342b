import * as v from 'valibot';

/**
 * One Stripe object as a list returns it. Only what the connector relies on is checked (`id`,
 * `object`); every other field is kept as Stripe sent it, so a new API version's fields pass.
 */
export const stripeObjectSchema = v.looseObject({
  id: v.pipe(v.string(), v.nonEmpty(), v.maxLength(255)),
  object: v.string(),
});

/** A Stripe object: a customer, charge, invoice, balance transaction or invoice line item. */
export type StripeObject = v.InferOutput<typeof stripeObjectSchema>;

/**
 * An invoice line item as the connector stores it: Stripe's `line_item` object, with `invoice`
 * (its parent's id) always set — older API versions leave it out of the object.
 */
export type InvoiceLine = StripeObject & { readonly object: 'line_item'; readonly invoice: string };

/** A page of a list endpoint: `{ "object": "list", "url", "has_more", "data": [...] }`. */
export const stripeListSchema = v.object({
  object: v.literal('list'),
  url: v.optional(v.string()),
  has_more: v.boolean(),
  data: v.array(stripeObjectSchema),
});

/** A validated page of a list endpoint. */
export type StripeList = v.InferOutput<typeof stripeListSchema>;

/** Stripe's error body: `{ "error": { "type", "code"?, "message"?, "param"? } }`. */
export const stripeErrorBodySchema = v.object({
  error: v.looseObject({
    type: v.string(),
    code: v.optional(v.string()),
    message: v.optional(v.string()),
    param: v.optional(v.string()),
  }),
});

/** A validated Stripe error body. */
export type StripeErrorBody = v.InferOutput<typeof stripeErrorBodySchema>;
