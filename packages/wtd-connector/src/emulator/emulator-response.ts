import type { MalformedBody, ServerErrorBody } from './faults.js';

/** An answer the emulator is about to write: status, headers and the complete body. */
export type EmulatorResponse = {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
};

const JSON_TYPE = 'application/json';
const HTML_TYPE = 'text/html; charset=UTF-8';

/**
 * A JSON answer.
 *
 * @param status - HTTP status.
 * @param value - The body, serialised with `JSON.stringify`.
 * @param headers - Extra headers.
 * @returns The response.
 * @example jsonResponse(404, { message: 'Not found.' })
 */
export function jsonResponse(
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): EmulatorResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

/**
 * A JSON error in the real API's shape, `{ "message": … }`.
 *
 * @param status - HTTP status.
 * @param message - What went wrong; never include the API token.
 * @param headers - Extra headers, e.g. `Retry-After`.
 * @returns The response.
 * @example errorResponse(401, 'Invalid API token.')
 */
export function errorResponse(
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): EmulatorResponse {
  return jsonResponse(status, { message }, headers);
}

/**
 * A 429 answer with `Retry-After` in whole seconds, rounded up as RFC 9110 requires an integer,
 * and `Retry-After-Ms` with the exact milliseconds, so a client can wait no longer than needed.
 *
 * @param retryAfterMs - When the client may try again, in milliseconds.
 * @returns The response.
 * @example tooManyRequests(250).headers['retry-after'] // '1'
 */
export function tooManyRequests(retryAfterMs: number): EmulatorResponse {
  const milliseconds = Math.max(0, Math.ceil(retryAfterMs));
  const seconds = Math.ceil(milliseconds / 1000);
  return errorResponse(429, `Too many requests. Try again in ${seconds} second(s).`, {
    'retry-after': String(seconds),
    'retry-after-ms': String(milliseconds),
  });
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * An injected server error: a proxy's HTML page, or the application's JSON error.
 *
 * @param status - 500, 502 or 503.
 * @param body - `html` or `json`.
 * @returns The response.
 * @example serverError(502, 'html').headers['content-type'] // 'text/html; charset=UTF-8'
 */
export function serverError(status: number, body: ServerErrorBody): EmulatorResponse {
  const text = STATUS_TEXT[status] ?? 'Server Error';
  if (body === 'json') return errorResponse(status, text === 'Internal Server Error' ? 'Server Error' : text);
  return { status, headers: { 'content-type': HTML_TYPE }, body: htmlPage(`${status} ${text}`) };
}

/**
 * An injected 200 answer with a broken body, made from the good page it replaces.
 *
 * @param page - The good page body that should have been sent.
 * @param body - How to break it: cut the JSON short, send an HTML page, or drop `data`.
 * @returns The response.
 * @example malformedPage(page, 'missing-data').body // '{"total_returned":50,…}' without "data"
 */
export function malformedPage(
  page: Readonly<Record<string, unknown>>,
  body: MalformedBody,
): EmulatorResponse {
  switch (body) {
    case 'truncated-json': {
      const json = JSON.stringify(page);
      // Cut before the closing brackets, so the result can never parse.
      return {
        status: 200,
        headers: { 'content-type': JSON_TYPE },
        body: json.slice(0, Math.floor(json.length / 2)),
      };
    }
    case 'html':
      return { status: 200, headers: { 'content-type': HTML_TYPE }, body: htmlPage('We will be back soon') };
    case 'missing-data': {
      const { data: _dropped, ...rest } = page;
      return jsonResponse(200, rest);
    }
  }
}

function htmlPage(title: string): string {
  return `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>\n`;
}
