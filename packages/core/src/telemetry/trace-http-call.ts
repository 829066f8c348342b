import { context as otelContext, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { reportApiAnswer } from '../limit/api-answers.js';
import { attr } from './attributes.js';
import { recordMetric } from './record-metric.js';
import { telemetryOff } from './telemetry-off.js';
import { noteHttpStatus, tracer, tracingOff } from './trace-attempt.js';

/** What a handler says about the HTTP request it is about to make. */
export type HttpCallInfo = {
  /** `GET`, `POST` … */
  readonly method: string;
  /**
   * The URL, **without credentials**: spans leave the process. Pass the path and the query
   * parameters that say which page, not a token.
   */
  readonly url: string;
};

/** What the call reports back once the response is in. */
export type HttpCallReport = {
  /**
   * Sets the response's status on the call's span and on its attempt's span; with the headers,
   * also tells a limiter that learns the rate from the API (`reportApiAnswer`).
   */
  status(status: number, headers?: Headers): void;
  /** Adds response body bytes to the span and to `capital.http.bytes`. */
  bytes(count: number): void;
};

/**
 * Runs a handler's HTTP request inside a client span named after its method, a child of the
 * task attempt's span (the crawl makes that one active while the handler runs). Spans the
 * request itself starts (an instrumented `fetch`) nest below it. A no-op without an
 * OpenTelemetry SDK, apart from the `capital.http.bytes` metric.
 *
 * @returns what `call` returns; rejects with what it throws (recorded on the span by name only).
 * @example
 * const body = await traceHttpCall({ method: 'GET', url: `${base}/orders?page=${page}` }, async (report) => {
 *   const response = await fetch(url, { signal });
 *   report.status(response.status, response.headers);
 *   const text = await response.text();
 *   report.bytes(Buffer.byteLength(text));
 *   return text;
 * });
 */
export async function traceHttpCall<R>(
  info: HttpCallInfo,
  call: (report: HttpCallReport) => Promise<R>,
): Promise<R> {
  // Nothing observes the call: only whoever learns the rate from the answers hears of it.
  if (telemetryOff()) return call(unobservedReport);
  const serverAddress = hostOf(info.url);
  const metricAttributes = serverAddress === undefined ? {} : { [attr.serverAddress]: serverAddress };
  if (tracingOff()) {
    // No span to report to, only the metric and whoever learns the rate from the answers.
    return call({
      status: (status, headers) => reportApiAnswer(status, headers),
      bytes: (count) => recordMetric('capital.http.bytes', count, metricAttributes),
    });
  }
  const parent = otelContext.active();
  const span: Span = tracer.startSpan(
    info.method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [attr.httpMethod]: info.method,
        [attr.urlFull]: info.url,
        ...(serverAddress === undefined ? {} : { [attr.serverAddress]: serverAddress }),
      },
    },
    parent,
  );
  let bytes = 0;
  const report: HttpCallReport = {
    status: (status, headers) => {
      reportApiAnswer(status, headers);
      span.setAttribute(attr.httpStatus, status);
      if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      otelContext.with(parent, () => noteHttpStatus(status));
    },
    bytes: (count) => {
      bytes += count;
      span.setAttribute(attr.bytes, bytes);
      recordMetric('capital.http.bytes', count, metricAttributes);
    },
  };
  try {
    return await otelContext.with(trace.setSpan(parent, span), () => call(report));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'Error' });
    throw error;
  } finally {
    span.end();
  }
}

const unobservedReport: HttpCallReport = {
  status: (status, headers) => reportApiAnswer(status, headers),
  bytes: () => {},
};

/** The host depends only on a URL's `scheme://authority`, the same for every page of an API. */
const origins = new Map<string, string | undefined>();
const originPattern = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\\]*/;

/** The URL's host name, parsed once per origin rather than once per request. */
function hostOf(url: string): string | undefined {
  const origin = originPattern.exec(url)?.[0];
  if (origin !== undefined && origins.has(origin)) return origins.get(origin);
  let host: string | undefined;
  try {
    host = new URL(origin ?? url).hostname;
  } catch {
    host = undefined;
  }
  if (origin !== undefined) {
    if (origins.size >= 64) origins.clear();
    origins.set(origin, host);
  }
  return host;
}
