import type { ErrorResponder } from './emulator-error.js';
import type { EmulatorResponse } from './emulator-response.js';
import { htmlResponse, JSON_TYPE, jsonResponse } from './emulator-response.js';
import type { MalformedBody, ServerErrorBody } from './faults.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * An injected server error: a proxy's HTML page, or the application's JSON error worded by
 * the API's {@link ErrorResponder} (`Server Error`, `Bad Gateway`, `Service Unavailable`).
 *
 * @param status - 500, 502 or 503.
 * @param body - `html` or `json`.
 * @param errorResponse - The API's error wording.
 * @returns The response.
 * @example serverErrorResponse(502, 'html', defaultErrorResponse).headers['content-type'] // 'text/html; charset=UTF-8'
 */
export function serverErrorResponse(
  status: number,
  body: ServerErrorBody,
  errorResponse: ErrorResponder,
): EmulatorResponse {
  const text = STATUS_TEXT[status] ?? 'Server Error';
  if (body === 'html') return htmlResponse(status, `${status} ${text}`);
  const message = text === 'Internal Server Error' ? 'Server Error' : text;
  return errorResponse({ status, code: 'server_error', message });
}

/**
 * An injected 200 answer with a broken body, made from the good answer it replaces.
 *
 * @param good - The good answer that should have been sent (a JSON body, usually).
 * @param body - How to break it: cut the body short, send an HTML page, or drop `dataField`
 * (a body that is not a JSON object is cut short instead).
 * @param dataField - The field `missing-data` leaves out.
 * @returns The response, status 200.
 * @example malformedResponse(jsonResponse(200, { data: [] }), 'missing-data').body // '{}'
 */
export function malformedResponse(
  good: EmulatorResponse,
  body: MalformedBody,
  dataField = 'data',
): EmulatorResponse {
  if (body === 'html') return htmlResponse(200, 'We will be back soon');
  if (body === 'missing-data') {
    const value = parseObject(good.body);
    if (value !== undefined) {
      const { [dataField]: _dropped, ...rest } = value;
      return jsonResponse(200, rest);
    }
  }
  // Cut before the closing brackets, so that the result can never parse.
  return {
    status: 200,
    headers: { 'content-type': good.headers['content-type'] ?? JSON_TYPE },
    body: good.body.slice(0, Math.floor(good.body.length / 2)),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
