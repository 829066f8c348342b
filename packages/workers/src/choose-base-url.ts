import type { Connector } from '@capital/core';
import { BaseUrlRefusedError } from './worker-errors.js';

/** Where a worker sends requests: decided by whoever started it, never by a job. */
export type BaseUrlPolicy = {
  /** For jobs that carry no base URL; `undefined`: the connector's default. */
  readonly default: string | undefined;
  /** Every base URL the worker sends to (its `default` among them). */
  readonly allowed: readonly string[];
};

/**
 * The base URL to run a job with: the worker's default for a job that carries none, else the
 * job's — only when it is one of the worker's allowed base URLs or the connector's declared
 * default. The URL returned is the worker's own spelling of it, never the job's text.
 *
 * @throws {BaseUrlRefusedError} for any other base URL.
 * @example chooseBaseUrl('http://evil.test', { default: undefined, allowed: [] }, connector) // throws
 */
export function chooseBaseUrl(
  jobBaseUrl: string | undefined,
  policy: BaseUrlPolicy,
  connector: Pick<Connector, 'defaultBaseUrl'>,
): string | undefined {
  if (jobBaseUrl === undefined) return policy.default;
  const wanted = normalBaseUrl(jobBaseUrl);
  if (wanted !== undefined) {
    const known = [...policy.allowed, ...(connector.defaultBaseUrl ? [connector.defaultBaseUrl] : [])];
    const match = known.find((url) => normalBaseUrl(url) === wanted);
    if (match !== undefined) return match;
  }
  const shown = [...policy.allowed];
  if (connector.defaultBaseUrl && !shown.includes(connector.defaultBaseUrl))
    shown.push(connector.defaultBaseUrl);
  throw new BaseUrlRefusedError(jobBaseUrl, shown);
}

/**
 * A base URL in one spelling: scheme, host and port as `URL` writes them, the path without
 * trailing slashes; `undefined` for anything but a plain http(s) URL.
 */
function normalBaseUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
