/** Options of {@link requestSignal}. */
export type RequestSignalOptions = {
  /** The crawl's signal (`HandlerContext.signal`): its abort aborts the request, with its reason. */
  readonly signal?: AbortSignal | undefined;
  /** How long the answer's headers may take, in ms; the body is then read without a limit of its own. */
  readonly timeoutMs: number;
};

/** One request's abort signal, and a `fetch` that uses it (see {@link requestSignal}). */
export type RequestSignal = {
  readonly signal: AbortSignal;
  /**
   * `globalThis.fetch` with this signal, whatever signal its caller gave: for ky's `fetch` option,
   * with `timeout: false` (this one times the request instead). Its timeout stops once the headers
   * came.
   */
  readonly fetch: typeof globalThis.fetch;
  /** Stops following the crawl's signal and the timeout: call it once the body is read, or the request failed. */
  release(): void;
};

/**
 * A request's own signal, aborted by the crawl's (with its reason) or by a timeout (with a
 * `TimeoutError`, as `AbortSignal.timeout` does), for ky with `timeout: false` and this `fetch`.
 *
 * Why not ky's `signal` and `timeout`: given a signal, ky joins it to its own with
 * `AbortSignal.any`, which costs ~15 µs a request on Node 20 (more as the crawl's long-lived
 * signal gathers dependants), more than the rest of a page's bookkeeping; a listener and a timer
 * cost ~1 µs.
 *
 * @example
 * const attempt = requestSignal({ signal: context.signal, timeoutMs: 30_000 });
 * try {
 *   const response = await ky.get(url, { retry: 0, timeout: false, fetch: attempt.fetch });
 *   return await readJsonBody(response, { secrets });
 * } catch (error) {
 *   throw requestFailure(error, { signal: context.signal, timeoutMs: 30_000, secrets });
 * } finally {
 *   attempt.release();
 * }
 */
export function requestSignal(options: RequestSignalOptions): RequestSignal {
  const controller = new AbortController();
  const outer = options.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (outer?.aborted) controller.abort(outer.reason);
  else if (outer !== undefined) follow(outer, controller);
  const stopTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const signal = controller.signal;
  return {
    signal,
    fetch: async (input, init) => {
      if (!signal.aborted && timer === undefined) {
        timer = setTimeout(
          () => controller.abort(new DOMException('The request timed out.', 'TimeoutError')),
          options.timeoutMs,
        );
      }
      try {
        return await globalThis.fetch(input, { ...init, signal });
      } finally {
        stopTimer();
      }
    },
    release: () => {
      stopTimer();
      if (outer !== undefined) followers.get(outer)?.delete(controller);
    },
  };
}

/**
 * The controllers of the requests in flight under each crawl signal, which one listener a signal
 * aborts: a listener added and removed a request cost ~3 µs on Node 20's EventTarget.
 */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

function follow(outer: AbortSignal, controller: AbortController): void {
  let inFlight = followers.get(outer);
  if (inFlight === undefined) {
    const controllers = new Set<AbortController>();
    inFlight = controllers;
    followers.set(outer, controllers);
    outer.addEventListener(
      'abort',
      () => {
        for (const each of controllers) each.abort(outer.reason);
        controllers.clear();
      },
      { once: true },
    );
  }
  inFlight.add(controller);
}
