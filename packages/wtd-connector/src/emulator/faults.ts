/**
 * Fault injection options of the World Trading Data emulator, as `startEmulator` and
 * `capital emulator wtd` take them. Each rate is a share of requests, from 0 to 1; the emulator
 * kit of `@capital/core/testing` injects them.
 */
export type FaultOptions = {
  /**
   * Delay added before every answer on the API path, in milliseconds.
   * @default 0
   */
  readonly latencyMs?: number;
  /**
   * Share of requests answered 500, 502 or 503, with an HTML page (as a proxy would send) or a
   * JSON `{ "message": … }` body (as the application would).
   * @default 0
   */
  readonly faultRate?: number;
  /**
   * Share of requests answered 200 with a broken body: truncated JSON, an HTML page, or JSON
   * without the `data` array.
   * @default 0
   */
  readonly malformedRate?: number;
  /**
   * Share of requests answered 429 with a `Retry-After`, even though the token is under its
   * rate limit (as when the provider sheds load).
   * @default 0
   */
  readonly burst429Rate?: number;
  /**
   * Share of requests whose connection is reset without an answer.
   * @default 0
   */
  readonly resetRate?: number;
  /**
   * The `Retry-After` of an injected 429 (`burst429Rate`), in milliseconds.
   * @default 1000
   */
  readonly burst429RetryAfterMs?: number;
  /**
   * Seed of the generator that decides which requests fail and how.
   * @default 1
   */
  readonly seed?: number;
};
