import type { SendPermit } from './send-permit.js';

/**
 * A dispatcher for `fetch`'s (and ky's) `dispatcher` option. Of undici's `Dispatcher`, Node's
 * `fetch` calls `dispatch(options, handler)` only, which is all {@link permitDispatcher} has.
 */
export type FetchDispatcher = NonNullable<RequestInit['dispatcher']>;

type InnerDispatcher = { dispatch(options: DispatchOptions, handler: DispatchHandler): boolean };

type DispatchOptions = { readonly origin?: unknown; readonly body?: unknown } & Record<string, unknown>;
type DispatchHandler = Record<string | symbol, unknown>;

/** Thrown from `onConnect` to drop a request before any byte of it is written. */
class PermitSpent extends Error {
  override readonly name = 'PermitSpent' as const;
}

/**
 * Node's global dispatcher (undici's `Agent`), where `fetch` and `setGlobalDispatcher` keep it.
 * Node loads its undici, which installs it, at the first call of `fetch`: read it only then.
 */
function globalDispatcher(): InnerDispatcher {
  const found = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')];
  if (typeof (found as InnerDispatcher | undefined)?.dispatch !== 'function') {
    throw new Error('No global fetch dispatcher: Node ≥ 20 with its built-in fetch is required.');
  }
  return found as InnerDispatcher;
}

/**
 * A `fetch` dispatcher (pass it as ky's or fetch's `dispatcher`) that checks the attempt's
 * permit at the last moment before the request is written: undici calls `onConnect` once a
 * connection is ready, just before it writes the request's head to the socket, in the same
 * tick. A permit older than its `maxDelayMs`, or already used by an earlier request, is spent:
 * the request is dropped there — throwing from `onConnect` leaves the connection open and
 * idle, nothing written — a new permit is taken, and the request is dispatched again. Only
 * requests without a body or with a string or byte body are gated (a stream cannot be sent
 * twice); the others go as they are.
 *
 * Requests go through Node's global dispatcher (or the one `setGlobalDispatcher` installed).
 *
 * @param signal - Aborts the wait for a new permit.
 * @example ky.get(url, context.permit ? { dispatcher: permitDispatcher(context.permit, context.signal) } : {})
 */
export function permitDispatcher(permit: SendPermit, signal?: AbortSignal): FetchDispatcher {
  const dispatch = (options: DispatchOptions, handler: DispatchHandler): boolean => {
    // `fetch` is running: Node's undici, and its global dispatcher, are loaded.
    const inner = globalDispatcher();
    if (!isReplayable(options.body)) return inner.dispatch(options, handler);
    const gated = new Proxy(handler, {
      get(target, property) {
        if (property === 'onConnect' || property === 'onRequestStart') {
          const original = target[property];
          if (typeof original !== 'function') return original;
          return (...args: unknown[]) => {
            const delayMs = Date.now() - permit.grantedAt;
            if (permit.used || delayMs > permit.maxDelayMs) throw new PermitSpent();
            permit.sent(delayMs);
            return original.apply(target, args);
          };
        }
        if (property === 'onError' || property === 'onResponseError') {
          const original = target[property];
          if (typeof original !== 'function') return original;
          return (...args: unknown[]) => {
            const error = args.find((arg) => arg instanceof Error);
            if (!(error instanceof PermitSpent)) return original.apply(target, args);
            permit.renew(signal).then(
              () => dispatch(options, handler),
              (renewError: unknown) =>
                Reflect.apply(
                  original,
                  target,
                  args.map((arg) => (arg === error ? renewError : arg)),
                ),
            );
            return undefined;
          };
        }
        const value = target[property];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    // A used or stale permit is renewed before dispatching, not after a connection is found.
    if (permit.used || Date.now() - permit.grantedAt > permit.maxDelayMs) {
      permit.renew(signal).then(
        () => inner.dispatch(options, gated),
        (error: unknown) => (handler.onError as ((error: unknown) => void) | undefined)?.call(handler, error),
      );
      return true;
    }
    return inner.dispatch(options, gated);
  };
  // Node's fetch calls `dispatch` only; the rest of undici's Dispatcher is not needed.
  return { dispatch } as unknown as FetchDispatcher;
}

function isReplayable(body: unknown): boolean {
  return body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array;
}

/**
 * Opens up to `count` keep-alive connections to `origin` without sending anything, so that the
 * first permits of a run are not spent waiting for a TCP (and TLS) handshake: each is a request
 * dropped in `onConnect`, once its connection is ready and before it is written. undici may
 * serve several of them on one connection that was ready first, so expect at least one. Settles when
 * they are open, or failed, or after `timeoutMs`: a connection not opened here is opened by the
 * first request that needs it, as usual.
 *
 * @example await warmConnections('http://127.0.0.1:8080', 2)
 */
export async function warmConnections(origin: string, count: number, timeoutMs = 5000): Promise<void> {
  let inner: InnerDispatcher;
  let base: string;
  try {
    // Loads Node's undici, and with it the global dispatcher, without any I/O.
    await fetch('data:,');
    inner = globalDispatcher();
    base = new URL(origin).origin;
  } catch {
    return;
  }
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const handler: DispatchHandler = {
        onConnect() {
          throw new PermitSpent('warm-up only');
        },
        onError: () => resolve(),
        onHeaders: () => true,
        onData: () => true,
        onComplete: () => resolve(),
      };
      try {
        inner.dispatch({ origin: base, path: '/', method: 'GET', headers: [] }, handler);
      } catch {
        resolve();
      }
    });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.all(Array.from({ length: count }, one)), timeout]);
  clearTimeout(timer);
}
