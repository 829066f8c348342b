import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP server whose every answer the test decides, for bodies the emulator never sends. */
export type StubApi = {
  /** Base URL without a trailing slash. */
  readonly url: string;
  /** The URL of every request received, in order. */
  readonly requests: readonly URL[];
  /** Stops listening and drops every connection, answered or not. */
  close(): Promise<void>;
};

/**
 * Starts a {@link StubApi} on 127.0.0.1, port 0. `answer` writes the response itself, or leaves
 * it unanswered (to make the client time out).
 */
export async function startStubApi(
  answer: (request: IncomingMessage, response: ServerResponse, url: URL) => void,
): Promise<StubApi> {
  const requests: URL[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stub.invalid');
    requests.push(url);
    answer(request, response, url);
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers with a JSON body. */
export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** Answers with a raw body and content type. */
export function sendText(response: ServerResponse, status: number, body: string, contentType: string): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * A loopback URL nothing listens on: a port the OS handed out and that was closed again, so a
 * connection is refused at once. (Not a well-known port such as 9: fetch refuses those itself.)
 */
export async function closedLoopbackUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Everything an error could leak through: its message, stack, own fields and cause. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return [JSON.stringify(error), error.message, error.stack ?? '', String(error.cause)].join('\n');
}
