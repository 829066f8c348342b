import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP attribute value as OTLP/JSON encodes it. */
type AnyValue = {
  readonly stringValue?: string;
  readonly intValue?: number | string;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
};
type KeyValue = { readonly key: string; readonly value: AnyValue };

/** A span as it arrived, its attributes decoded. */
export type ReceivedSpan = {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** 1 internal, 3 client … */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly resource: Readonly<Record<string, string | number | boolean>>;
};

/** One data point of a metric as it arrived (sums: `value`; histograms: `count`, `sum`). */
export type ReceivedPoint = {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly value?: number;
  readonly count?: number;
  readonly sum?: number;
};

/** A loopback OTLP/HTTP receiver that decodes the JSON encoding of `/v1/traces` and `/v1/metrics`. */
export type OtlpReceiver = {
  readonly url: string;
  spans(): ReceivedSpan[];
  /**
   * The data points of `name` in each process' latest export that carried it (cumulative
   * temporality), all processes together (told apart by their `process.pid` resource attribute).
   */
  latest(name: string): ReceivedPoint[];
  /** Requests that were not OTLP/JSON, e.g. protobuf: a test that gets one is misconfigured. */
  readonly rejected: string[];
  close(): Promise<void>;
};

function decode(attributes: readonly KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

/** Starts the receiver on 127.0.0.1 and an ephemeral port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const latest = new Map<string, ReceivedPoint[]>(); // by process and name
  const rejected: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const type = request.headers['content-type'] ?? '';
      if (!type.includes('application/json')) {
        rejected.push(`${request.url} ${type}`);
        response.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      if (request.url === '/v1/traces') {
        for (const resourceSpans of list(body.resourceSpans)) {
          const resource = decode((resourceSpans.resource as Json | undefined)?.attributes as KeyValue[]);
          for (const scope of list(resourceSpans.scopeSpans)) {
            for (const span of list(scope.spans)) {
              spans.push({
                traceId: String(span.traceId),
                spanId: String(span.spanId),
                parentSpanId: span.parentSpanId ? String(span.parentSpanId) : undefined,
                name: String(span.name),
                kind: Number(span.kind),
                attributes: decode(span.attributes as KeyValue[]),
                resource,
              });
            }
          }
        }
      } else if (request.url === '/v1/metrics') {
        for (const resourceMetrics of list(body.resourceMetrics)) {
          const resource = decode((resourceMetrics.resource as Json | undefined)?.attributes as KeyValue[]);
          const process = String(resource['process.pid'] ?? '');
          for (const scope of list(resourceMetrics.scopeMetrics)) {
            for (const metric of list(scope.metrics)) {
              const name = String(metric.name);
              const data = (metric.sum ?? metric.histogram ?? metric.gauge) as Json | undefined;
              latest.set(
                `${process}\n${name}`,
                list(data?.dataPoints).map((point) => ({
                  name,
                  attributes: decode(point.attributes as KeyValue[]),
                  ...(point.asInt !== undefined ? { value: Number(point.asInt) } : {}),
                  ...(point.asDouble !== undefined ? { value: Number(point.asDouble) } : {}),
                  ...(point.count !== undefined
                    ? { count: Number(point.count), sum: Number(point.sum) }
                    : {}),
                })),
              );
            }
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    latest: (name) =>
      [...latest.entries()].filter(([key]) => key.endsWith(`\n${name}`)).flatMap(([, points]) => points),
    rejected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
