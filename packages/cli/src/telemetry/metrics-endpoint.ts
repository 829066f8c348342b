import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics } from 'prom-client';
import { createCapitalRegistry } from './prometheus-registry.js';

/** Where to serve `/metrics`. */
export type MetricsEndpointOptions = {
  /** The port; 0 takes any free one. */
  readonly port: number;
  /**
   * The address to bind. Loopback by default: metrics say what runs, against which API, how fast.
   * @default '127.0.0.1'
   */
  readonly host?: string | undefined;
};

/** A running `/metrics` endpoint. */
export type MetricsEndpoint = {
  /** `http://HOST:PORT/metrics`. */
  readonly url: string;
  close(): Promise<void>;
};

/**
 * Serves Capital's metrics and Node's process metrics in the Prometheus exposition format at
 * `GET /metrics`. Every other path is a 404.
 * @example const endpoint = await startMetricsEndpoint({ port: 9464 }); … await endpoint.close();
 */
export async function startMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const { registry, stop } = createCapitalRegistry();
  collectDefaultMetrics({ register: registry });
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    close: () => {
      stop();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
