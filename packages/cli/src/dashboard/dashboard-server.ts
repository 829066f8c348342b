import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DashboardState } from '@capital/workers';
import { dashboardCss, dashboardHtml, dashboardJs } from './dashboard-page.js';

/** Options of {@link startDashboardServer}. */
export type DashboardServerOptions = {
  /** Reads the figures, once per `GET /api/state`. */
  readonly read: () => Promise<DashboardState>;
  /** 0 takes any free port. */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string | undefined;
};

/** A running dashboard. */
export type DashboardServer = { readonly url: string; close(): Promise<void> };

const securityHeaders = {
  // Only this origin's script and style run: no inline script, so an injected tag does nothing.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const assets: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: dashboardHtml },
  '/dashboard.js': { type: 'text/javascript; charset=utf-8', body: dashboardJs },
  '/dashboard.css': { type: 'text/css; charset=utf-8', body: dashboardCss },
};

/**
 * Serves the dashboard: the page, its script and style, and `GET /api/state` (JSON). Bound to
 * loopback unless told otherwise; on loopback it answers only requests whose `Host` is a
 * loopback name, so that a web page elsewhere cannot read it through DNS rebinding.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const loopbackOnly = ['127.0.0.1', '::1', 'localhost'].includes(host);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET', ...securityHeaders }).end();
      return;
    }
    if (loopbackOnly && !isLoopbackHost(request)) {
      response.writeHead(421, securityHeaders).end('Misdirected request: use a loopback address.\n');
      return;
    }
    const asset = assets[path];
    if (asset !== undefined) {
      response.writeHead(200, { 'content-type': asset.type, ...securityHeaders }).end(asset.body);
      return;
    }
    if (path !== '/api/state') {
      response.writeHead(404, securityHeaders).end();
      return;
    }
    options.read().then(
      (state) =>
        response
          .writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...securityHeaders })
          .end(JSON.stringify(state)),
      (error: unknown) =>
        response
          .writeHead(503, { 'content-type': 'application/json; charset=utf-8', ...securityHeaders })
          .end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isLoopbackHost(request: IncomingMessage): boolean {
  const name = (request.headers.host ?? '')
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  return name === '127.0.0.1' || name === 'localhost' || name === '::1';
}
