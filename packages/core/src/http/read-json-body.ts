import { TransientError } from '../errors.js';
import { redactText } from '../redact/redact-text.js';
import { describeFailure } from './request-failure.js';

const utf8 = new TextDecoder();

/** A body, parsed as JSON, or the redacted start of one that is not JSON. */
export type JsonBody = { readonly json: unknown } | { readonly unparsable: string };

/** Options of {@link readJsonBody}. */
export type ReadJsonBodyOptions = {
  /** Secrets the request carried: a body that echoes one is quoted without it. */
  readonly secrets: readonly string[];
  /**
   * How much of a body that is not JSON to keep, for an error message.
   * @default 60
   */
  readonly quoteLength?: number | undefined;
  /** Told the body's size in bytes (for metrics). */
  readonly onBytes?: ((bytes: number) => void) | undefined;
};

/**
 * Reads a response's body and parses it as JSON. A body that breaks off is a retryable
 * `TransientError`; one that is not JSON (truncated, a proxy's HTML page) comes back as its
 * start, for the caller to say so — redacted before it is cut, since a token cut in two would
 * escape every later redaction.
 *
 * @example
 * const body = await readJsonBody(response, { secrets: [token] });
 * if ('unparsable' in body) throw new InvalidResponseError(`Not JSON: ${body.unparsable}…`, { retryable: true });
 */
export async function readJsonBody(response: Response, options: ReadJsonBodyOptions): Promise<JsonBody> {
  let bytes: ArrayBuffer;
  try {
    bytes = await response.arrayBuffer();
  } catch (error) {
    throw new TransientError(`The response body broke off: ${describeFailure(error, options.secrets)}`);
  }
  options.onBytes?.(bytes.byteLength);
  // Decoded as `response.text()` would (a BOM dropped, bad bytes replaced), with the size known
  // without measuring the text again.
  const text = utf8.decode(bytes);
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { unparsable: redactText(text, options.secrets).slice(0, options.quoteLength ?? 60) };
  }
}
