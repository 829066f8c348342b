import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The limiter's Lua scripts as the methods `defineCommand` adds to an ioredis client. Numbers go
 * in and come out as text; times come out in whole µs. `now` is `''` outside tests.
 */
export type LimiterCommands = {
  /** `lua/reserve-2.lua`: resolves to `[grantAtUs, waitUs, tatUs, pauseEndUs]` (`'0'`: no pause). */
  capitalReserve(
    key: string,
    pauseKey: string,
    limit: string,
    periodMs: string,
    burst: string,
    now: string,
  ): Promise<[string, string, string, string]>;
  /**
   * `lua/reserveLayers-n.lua`: `numberOfKeys` (2 per layer), each layer's bucket and pause keys,
   * `now`, then each layer's limit, periodMs and burst. Resolves to
   * `[grantAtUs, waitUs, tatUs₁, pauseEndUs₁, tatUs₂, pauseEndUs₂, …]`.
   */
  capitalReserveLayers(numberOfKeys: number, ...keysThenArgs: string[]): Promise<string[]>;
  /** `lua/pause-2.lua`: resolves to `[tatUs, pauseEndUs]`. */
  capitalPause(
    key: string,
    pauseKey: string,
    limit: string,
    periodMs: string,
    burst: string,
    durationMs: string,
    now: string,
  ): Promise<[string, string]>;
  /** `lua/release-3.lua`: resolves to 1 when the tat moved back, 0 when not. */
  capitalRelease(
    key: string,
    pauseKey: string,
    releasedKey: string,
    limit: string,
    periodMs: string,
    burst: string,
    reservedTat: string,
    now: string,
  ): Promise<number>;
  /**
   * `lua/reserveAdaptive-3.lua`: the bucket, pause and learnt-rate keys, then burst, successes,
   * announced limit and window (0: none), now, and the adaptive config. Resolves to
   * `[grantAtUs, waitUs, tatUs, pauseEndUs, ratePerSecond]`.
   */
  capitalReserveAdaptive(
    key: string,
    pauseKey: string,
    rateKey: string,
    ...args: string[]
  ): Promise<[string, string, string, string, string]>;
  /**
   * `lua/learn-2.lua`: the learnt-rate and bucket keys, then throttled (`'1'`/`'0'`), announced
   * limit and window (0: none), now, and the adaptive config. Resolves to `[ratePerSecond, cut]`.
   */
  capitalLearn(rateKey: string, key: string, ...args: string[]): Promise<[string, number]>;
};

/**
 * The script files, named `<command>-<numKeys>.lua` as BullMQ names them; `-n` for a variable
 * number of keys, whose count the caller passes first.
 */
const files = [
  'reserve-2.lua',
  'pause-2.lua',
  'release-3.lua',
  'reserveLayers-n.lua',
  'reserveAdaptive-3.lua',
  'learn-2.lua',
] as const;

let cache:
  | ReadonlyArray<{ readonly name: string; readonly numberOfKeys: number | undefined; readonly lua: string }>
  | undefined;

/**
 * Where the `.lua` files are. They are the source of truth and the build copies nothing, so from
 * `src/limit` they sit beside this module, and from `dist/limit` they are read from the package's
 * `src/limit/lua` (the package ships that folder, see `files` in package.json).
 */
function luaDirectory(): URL {
  const beside = new URL('./lua/', import.meta.url);
  return existsSync(new URL(files[0], beside)) ? beside : new URL('../../src/limit/lua/', import.meta.url);
}

function loadScripts(): NonNullable<typeof cache> {
  if (cache) return cache;
  const directory = luaDirectory();
  cache = files.map((file) => {
    const [, command = '', keys = '0'] = /^(\w+)-(\d+|n)\.lua$/.exec(file) ?? [];
    return {
      name: `capital${command.charAt(0).toUpperCase()}${command.slice(1)}`,
      numberOfKeys: keys === 'n' ? undefined : Number(keys),
      lua: withIncludes(readFileSync(new URL(file, directory), 'utf8'), directory),
    };
  });
  return cache;
}

/**
 * Replaces each `--- @include "NAME"` line (BullMQ's convention) with `includes/NAME.lua`, so the
 * scripts share one clock function instead of three copies of it.
 */
function withIncludes(lua: string, directory: URL): string {
  return lua.replace(/^--- @include "([\w-]+)"$/gm, (_line, name: string) =>
    readFileSync(new URL(`includes/${name}.lua`, directory), 'utf8'),
  );
}

/**
 * Registers the limiter's scripts on a client with `defineCommand`, which sends `EVALSHA` and
 * falls back to `EVAL` when Redis does not hold the script yet: one round trip per call either way.
 *
 * @param redis - the client; registering twice is harmless.
 * @returns the same client, typed with the script methods.
 * @throws when the `.lua` files cannot be read (a broken install).
 * @example
 * const client = defineLimiterCommands(new Redis());
 * const [grantAtUs, waitUs, tatUs, pauseEndUs] = await client.capitalReserve(
 *   'capital:limit:wtd:5f1c', 'capital:limit:wtd:5f1c:pause', '9', '1000', '1', '');
 */
export function defineLimiterCommands(redis: Redis): Redis & LimiterCommands {
  for (const { name, numberOfKeys, lua } of loadScripts()) {
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
  }
  return redis as Redis & LimiterCommands;
}
