/** An answer the emulator is about to write: status, headers and the complete body. */
export type EmulatorResponse = {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
};

/** The content type of every JSON answer. */
export const JSON_TYPE = 'application/json';
/** The content type of HTML pages, as a proxy in front of an API sends them. */
export const HTML_TYPE = 'text/html; charset=UTF-8';

/**
 * A JSON answer.
 *
 * @param status - HTTP status.
 * @param value - The body, serialised with `JSON.stringify`.
 * @param headers - Extra headers, names in lower case.
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
 * An HTML error page such as nginx sends when the application behind it is down.
 *
 * @param status - HTTP status.
 * @param title - The page's title and heading, e.g. `502 Bad Gateway`.
 * @returns The response.
 * @example htmlResponse(502, '502 Bad Gateway').headers['content-type'] // 'text/html; charset=UTF-8'
 */
export function htmlResponse(status: number, title: string): EmulatorResponse {
  return {
    status,
    headers: { 'content-type': HTML_TYPE },
    body: `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>\n`,
  };
}

/**
 * Adds headers to a response, replacing any of the same name.
 *
 * @param response - The response.
 * @param headers - Headers to add, names in lower case.
 * @returns A new response.
 * @example withHeaders(jsonResponse(200, {}), { 'retry-after': '1' })
 */
export function withHeaders(
  response: EmulatorResponse,
  headers: Readonly<Record<string, string>>,
): EmulatorResponse {
  return { ...response, headers: { ...response.headers, ...headers } };
}
