import type { EmulatorRequest, Route, RouteResponse } from '@capital/core/testing';
import { cursorPage, jsonResponse } from '@capital/core/testing';
import type { EmulatedObject } from './dataset.js';
import { stripeError } from './stripe-errors.js';

/** The `created` filters Stripe lists take, and how each compares. */
const createdFilters = {
  'created[gte]': (created: number, bound: number) => created >= bound,
  'created[gt]': (created: number, bound: number) => created > bound,
  'created[lte]': (created: number, bound: number) => created <= bound,
  'created[lt]': (created: number, bound: number) => created < bound,
} as const;

type Filter = { readonly name: string; readonly test: (created: number) => boolean };

/** A request Stripe refuses: answered 400 `invalid_request_error` naming the parameter. */
class InvalidParam {
  constructor(
    readonly param: string,
    readonly message: string,
  ) {}
}

/**
 * A Stripe list endpoint over a list of objects (newest first): `limit` 1–100 (default 10),
 * `starting_after` or `ending_before` (not both; an unknown id is a 400 `resource_missing`),
 * `created` as a number or `created[gte|gt|lte|lt]`. Answers `{ object: 'list', url, has_more, data }`.
 *
 * @param name - The route's name in stats and per-route limits, e.g. `GET /v1/charges`.
 * @param path - Its path pattern, e.g. `/v1/invoices/:id/lines`.
 * @param itemsOf - The list a request reads, or `undefined` for an unknown parent (a 404).
 */
export function listRoute(
  name: string,
  path: string,
  itemsOf: (request: EmulatorRequest) => readonly EmulatedObject[] | undefined,
): Route {
  return {
    method: 'GET',
    path,
    name,
    handle: (request): RouteResponse => {
      const items = itemsOf(request);
      if (items === undefined) {
        return stripeError(404, 'invalid_request_error', 'No such object.', { code: 'resource_missing' });
      }
      let query: ListQuery;
      try {
        query = readListQuery(request.query);
      } catch (error) {
        if (!(error instanceof InvalidParam)) throw error;
        return stripeError(400, 'invalid_request_error', error.message, { param: error.param });
      }
      const filtered = query.filters.length === 0 ? items : filterByCreated(items, query.filters);
      const page = cursorPage(filtered, {
        limit: query.limit,
        startingAfter: query.startingAfter,
        endingBefore: query.endingBefore,
        idOf: (item) => item.id,
      });
      if (!page.ok) {
        const param = query.startingAfter === undefined ? 'ending_before' : 'starting_after';
        return stripeError(400, 'invalid_request_error', `No such object: the ${param} cursor.`, {
          code: 'resource_missing',
          param,
        });
      }
      return {
        ...jsonResponse(200, { object: 'list', url: request.path, has_more: page.hasMore, data: page.data }),
        served: { records: page.data.length },
      };
    },
  };
}

type ListQuery = {
  readonly limit: number;
  readonly startingAfter: string | undefined;
  readonly endingBefore: string | undefined;
  readonly filters: readonly Filter[];
};

function readListQuery(query: URLSearchParams): ListQuery {
  const limitText = query.get('limit');
  const limit = limitText === null ? 10 : Number(limitText);
  if (limitText !== null && (!/^\d+$/.test(limitText) || limit < 1 || limit > 100)) {
    throw new InvalidParam('limit', 'Invalid limit: must be an integer between 1 and 100.');
  }
  const startingAfter = query.get('starting_after') ?? undefined;
  const endingBefore = query.get('ending_before') ?? undefined;
  if (startingAfter !== undefined && endingBefore !== undefined) {
    throw new InvalidParam('starting_after', 'You may only specify one of starting_after and ending_before.');
  }
  const filters: Filter[] = [];
  const exact = query.get('created');
  if (exact !== null) {
    const bound = readTimestamp('created', exact);
    filters.push({ name: `created=${bound}`, test: (created) => created === bound });
  }
  for (const [param, compare] of Object.entries(createdFilters)) {
    const text = query.get(param);
    if (text === null) continue;
    const bound = readTimestamp(param, text);
    filters.push({ name: `${param}=${bound}`, test: (created) => compare(created, bound) });
  }
  return { limit, startingAfter, endingBefore, filters };
}

function readTimestamp(param: string, text: string): number {
  if (!/^\d{1,12}$/.test(text)) throw new InvalidParam(param, `Invalid integer: ${text.slice(0, 20)}`);
  return Number(text);
}

/**
 * The objects that pass every filter. The result of each filter set is kept (a few, most
 * recent) so that paging through a filtered list stays linear: `cursorPage` caches positions
 * per list it is given, and a new array per request would rebuild them every page.
 */
const filteredLists = new WeakMap<readonly EmulatedObject[], Map<string, readonly EmulatedObject[]>>();
const keptFilterSets = 8;

function filterByCreated(
  items: readonly EmulatedObject[],
  filters: readonly Filter[],
): readonly EmulatedObject[] {
  let cache = filteredLists.get(items);
  if (cache === undefined) {
    cache = new Map();
    filteredLists.set(items, cache);
  }
  const key = filters.map((filter) => filter.name).join('&');
  const known = cache.get(key);
  if (known !== undefined) return known;
  const kept = items.filter((item) => filters.every((filter) => filter.test(item.created)));
  if (cache.size >= keptFilterSets) cache.delete(cache.keys().next().value ?? '');
  cache.set(key, kept);
  return kept;
}
