import type { EmulatorResponse } from './emulator-response.js';

/** One request, as a route sees it. */
export type EmulatorRequest = {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  /** The full URL, on a placeholder origin. */
  readonly url: URL;
  /** The URL's path, e.g. `/v1/invoices/in_1/lines`. */
  readonly path: string;
  /** Header names in lower case, as `node:http` gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The query string. */
  readonly query: URLSearchParams;
  /** The path parameters, e.g. `{ id: 'in_1' }` for `/v1/invoices/:id/lines`. */
  readonly params: Readonly<Record<string, string>>;
  /** The body as text, for methods other than GET and HEAD. */
  readonly body?: string;
};

/** What a route may tell the stats besides its answer. */
export type Served = {
  /**
   * Names the page served, e.g. `JSON.stringify([term, limit, page])`; the stats count how many
   * times each key was answered 2xx with a well-formed body.
   */
  readonly key?: string;
  /** Records the answer carries, summed in the stats' `records`. */
  readonly records?: number;
};

/** A route's answer: a response, and optionally what it served. */
export type RouteResponse = EmulatorResponse & { readonly served?: Served };

/** What the kit gives a route besides the request. */
export type RouteContext = {
  /** The route's name, e.g. `GET /v1/invoices/:id/lines`. */
  readonly route: string;
  /** Who the token check admitted (the token), or `undefined` for a route without one. */
  readonly principal: string | undefined;
  /** The emulator's clock, in milliseconds. */
  readonly now: () => number;
};

/** A route handler: small, synchronous or not, with no HTTP plumbing. */
export type RouteHandler = (
  request: EmulatorRequest,
  context: RouteContext,
) => RouteResponse | Promise<RouteResponse>;

/** One entry of a route table. */
export type Route = {
  /** `GET`, `POST`, …; upper case. */
  readonly method: string;
  /** A path with `:name` segments, e.g. `/v1/invoices/:id/lines`. */
  readonly path: string;
  readonly handle: RouteHandler;
  /**
   * Name in the stats and in per-route rate limits.
   * @default `${method} ${path}`
   */
  readonly name?: string;
  /**
   * Whether the token check applies.
   * @default true
   */
  readonly auth?: boolean;
};

/** What {@link RouteTable.match} found. */
export type RouteMatch =
  | {
      readonly kind: 'found';
      readonly route: Route;
      readonly name: string;
      readonly params: Record<string, string>;
    }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] };

type CompiledRoute = {
  readonly route: Route;
  readonly name: string;
  readonly pattern: RegExp;
  readonly keys: string[];
};

/**
 * Routes keyed by method and path pattern. A `:name` segment matches one non-empty path
 * segment, decoded; every other segment matches itself exactly. The first route that matches
 * wins, so list literal paths before patterns that would shadow them.
 *
 * @example
 * const table = new RouteTable([{ method: 'GET', path: '/v1/invoices/:id/lines', handle }]);
 * table.match('GET', '/v1/invoices/in_1/lines'); // { kind: 'found', params: { id: 'in_1' }, … }
 */
export class RouteTable {
  readonly #routes: CompiledRoute[];

  /**
   * @param routes - The routes.
   * @throws {RangeError} for a path that does not start with `/`, a parameter without a name,
   * or two routes with the same name.
   */
  constructor(routes: readonly Route[]) {
    this.#routes = routes.map(compile);
    const names = new Set<string>();
    for (const { name } of this.#routes) {
      if (names.has(name)) throw new RangeError(`Two routes are named ${name}.`);
      names.add(name);
    }
  }

  /** The route names, in table order. */
  get names(): string[] {
    return this.#routes.map((route) => route.name);
  }

  /**
   * Finds the route for a request.
   *
   * @param method - The request's method.
   * @param path - The request's path, still percent-encoded.
   * @returns The route and its parameters; `not-found` when no route has the path;
   * `method-not-allowed` with the methods that have it otherwise.
   */
  match(method: string, path: string): RouteMatch {
    const allow: string[] = [];
    for (const compiled of this.#routes) {
      const found = compiled.pattern.exec(path);
      if (found === null) continue;
      const params = paramsOf(compiled.keys, found);
      if (params === undefined) continue;
      if (compiled.route.method === method.toUpperCase()) {
        return { kind: 'found', route: compiled.route, name: compiled.name, params };
      }
      if (!allow.includes(compiled.route.method)) allow.push(compiled.route.method);
    }
    return allow.length === 0 ? { kind: 'not-found' } : { kind: 'method-not-allowed', allow };
  }
}

function compile(route: Route): CompiledRoute {
  if (!route.path.startsWith('/')) throw new RangeError(`A route path starts with /, got ${route.path}.`);
  const keys: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const key = segment.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new RangeError(`Bad parameter in ${route.path}.`);
      keys.push(key);
      return '([^/]+)';
    })
    .join('/');
  const method = route.method.toUpperCase();
  return {
    route: { ...route, method },
    name: route.name ?? `${method} ${route.path}`,
    pattern: new RegExp(`^${source}$`),
    keys,
  };
}

/** The decoded parameters, or `undefined` when one is not valid percent-encoding. */
function paramsOf(keys: readonly string[], found: RegExpExecArray): Record<string, string> | undefined {
  const entries: [string, string][] = [];
  for (const [index, key] of keys.entries()) {
    try {
      entries.push([key, decodeURIComponent(found[index + 1] ?? '')]);
    } catch {
      return undefined;
    }
  }
  // fromEntries defines own properties, so even a parameter named __proto__ stays a plain value.
  return Object.fromEntries(entries);
}
