import { Agent, createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the recording proxy saw it pass: when, and what the API answered. */
export type ProxiedAnswer = {
  /** When the request reached the proxy, in `performance.now()` ms. */
  readonly arrivedAt: number;
  /** When the proxy sent the answer's head on to the client; `undefined` for a reset. */
  readonly answeredAt: number | undefined;
  /** The API's status, or `'reset'` when its connection broke without an answer. */
  readonly status: number | 'reset';
  /**
   * How long the answer asked the client to wait, in ms: `Retry-After-Ms` when present (the
   * shortest a client may wait), else `Retry-After` in seconds. `undefined` without either.
   */
  readonly retryAfterMs: number | undefined;
};

/** A proxy in front of an emulator, as {@link startRecordingProxy} returns it. */
export type RecordingProxy = {
  /** The base URL to give the connector instead of the emulator's. */
  readonly url: string;
  /** Every request so far, in arrival order. No URL, header or body is kept: they may hold a token. */
  answers(): readonly ProxiedAnswer[];
  /** Stops listening and closes every connection. Safe to call twice. */
  close(): Promise<void>;
};

/**
 * Starts a loopback HTTP proxy to `target` that records, for each request, when it arrived and
 * what was answered. The conformance kit counts 429s at this receiver rather than trusting the
 * client's own account, and it works in front of any emulator, built on the kit or not.
 *
 * @param target - The emulator's base URL (`http://127.0.0.1:PORT`).
 * @returns The running proxy.
 * @example
 * const proxy = await startRecordingProxy(emulator.url);
 * // … crawl against proxy.url …
 * proxy.answers().filter((answer) => answer.status === 429).length;
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const answers: ProxiedAnswer[] = [];
  const server = createServer((request, response) => {
    const arrivedAt = performance.now();
    const outgoing = forward(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        const status = answer.statusCode ?? 0;
        answers.push({
          arrivedAt,
          answeredAt: performance.now(),
          status,
          retryAfterMs: retryAfterOf(answer.headers),
        });
        response.writeHead(status, answer.headers);
        answer.pipe(response);
        // A body cut off upstream is cut off here too, so the client sees what the API did.
        answer.on('aborted', () => response.destroy());
        answer.on('error', () => response.destroy());
      },
    );
    outgoing.on('error', () => {
      answers.push({ arrivedAt, answeredAt: undefined, status: 'reset', retryAfterMs: undefined });
      response.destroy();
    });
    request.pipe(outgoing);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    answers: () => [...answers],
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return closed;
    },
  };
}

function retryAfterOf(headers: Readonly<Record<string, string | string[] | undefined>>): number | undefined {
  const exact = Number(headers['retry-after-ms']);
  if (typeof headers['retry-after-ms'] === 'string' && Number.isFinite(exact)) return exact;
  const seconds = Number(headers['retry-after']);
  return typeof headers['retry-after'] === 'string' && Number.isFinite(seconds) ? seconds * 1000 : undefined;
}
