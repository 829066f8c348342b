export type { StripeListRequest } from './client.js';
export { fetchStripeList, stripeApiUrl } from './client.js';
export { connector, endpointRate, stripeLimiterLayers } from './connector.js';
export { parseCreatedGte } from './created-gte.js';
export type { StripeHandlerOptions } from './handler.js';
export { createStripeHandler, listQuery, nextTasks, pageRecords, stripeListPaginator } from './handler.js';
export type { InvoiceLine, StripeErrorBody, StripeList, StripeObject } from './schema.js';
export { stripeErrorBodySchema, stripeListSchema, stripeObjectSchema } from './schema.js';
export type { StripeErrorDetails } from './stripe-api-error.js';
export { StripeApiError, shouldRetryOf } from './stripe-api-error.js';
export type { StripeListName, StripeListTask, StripeListTaskOptions, StripeObjectName } from './task.js';
export {
  defaultCredentialReference,
  invoiceLinesTask,
  listPath,
  stripeListTask,
  stripeObjects,
} from './task.js';
