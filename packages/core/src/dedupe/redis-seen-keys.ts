import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { digestOfText } from '../digest/digest-of.js';
import { InvalidOptionError } from '../errors.js';
import type { SeenKeysStore } from './seen-keys-store.js';

/** Options of {@link RedisSeenKeys}. */
export type RedisSeenKeysOptions = {
  /**
   * The store's name in Redis: one per crawl run. Its keys are `{name}:xxxx`, all in one cluster
   * hash slot. A run resumed from a checkpoint needs a new name (or `clear()` first): tasks the
   * stopped run claimed but never finished would be taken for duplicates.
   */
  readonly name: string;
  /**
   * Hash buckets the digests are spread over, a power of two. Redis keeps a bucket of up to
   * `hash-max-listpack-entries` (512 by default) digests as a listpack, ~18 bytes each; so up to
   * ~512 × `buckets` task keys stay compact (33 million by default), beyond that a bucket costs
   * ~70 bytes a key. Each bucket costs ~100 bytes of its own once used.
   * @default 65536
   */
  readonly buckets?: number;
};

type ClaimCommand = {
  capitalClaim(numberOfKeys: number, ...keysThenDigests: (string | Buffer)[]): Promise<number[]>;
};

/**
 * De-duplication for crawls too big for one process: task keys as 16-byte digests in Redis hash
 * buckets (see `lua/claim-n.lua`). The crawl keeps only a bounded window of keys in memory (to
 * tell a cycle from a duplicate at once) and claims each task here, in batches of up to 256 keys
 * a round trip, before it runs. Crawls in several processes may share one store: each task runs
 * in exactly one of them.
 *
 * Memory: 25 bytes a task in Redis measured at 2M tasks (listpack buckets), none growing in the
 * crawl's process.
 * Round trips: one per batch; a long fan-out is claimed 256 tasks at a time, a cursor chain one
 * task at a time (its next task is known only when its page arrives), a round trip per page.
 *
 * @example
 * const seen = new RedisSeenKeys(redis, { name: `capital:seen:${runId}` });
 * crawlFrom(seeds, handler, { dedupe: seen }); … await seen.clear();
 */
export class RedisSeenKeys implements SeenKeysStore {
  readonly #redis: Redis & ClaimCommand;
  readonly #name: string;
  readonly #mask: number;

  constructor(redis: Redis, options: RedisSeenKeysOptions) {
    const buckets = options.buckets ?? 65_536;
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 65_536 || (buckets & (buckets - 1)) !== 0) {
      throw new InvalidOptionError('buckets', `must be a power of two from 1 to 65536, got ${buckets}.`);
    }
    if (typeof options.name !== 'string' || options.name.length === 0) {
      throw new InvalidOptionError('name', 'must be a non-empty string.');
    }
    redis.defineCommand('capitalClaim', { lua: claimLua() });
    this.#redis = redis as Redis & ClaimCommand;
    this.#name = options.name;
    this.#mask = buckets - 1;
  }

  async claim(keys: readonly string[]): Promise<readonly boolean[]> {
    if (keys.length === 0) return [];
    const buckets: string[] = [];
    const digests: Buffer[] = [];
    for (const key of keys) {
      const digest = digestBytes(key);
      buckets.push(this.#bucketKey(digest.readUInt16BE(0) & this.#mask));
      digests.push(digest);
    }
    const claimed = await this.#redis.capitalClaim(keys.length, ...buckets, ...digests);
    return claimed.map((value) => value === 1);
  }

  /** Forgets every claimed key (a run's clean-up, or before its name is used again). */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, found] = await this.#redis.scan(
        cursor,
        'MATCH',
        `${escapeGlob(`{${this.#name}}`)}:*`,
        'COUNT',
        1000,
      );
      if (found.length > 0) await this.#redis.unlink(...found);
      cursor = next;
    } while (cursor !== '0');
  }

  #bucketKey(bucket: number): string {
    return `{${this.#name}}:${bucket.toString(16).padStart(4, '0')}`;
  }
}

/** A task key's first 16 bytes (it is hex SHA-256); another string's SHA-256 prefix. */
function digestBytes(key: string): Buffer {
  if (/^[0-9a-f]{64}$/.test(key)) return Buffer.from(key.slice(0, 32), 'hex');
  const words = digestOfText(key);
  const bytes = Buffer.alloc(16);
  for (let word = 0; word < 4; word += 1) bytes.writeUInt32BE(words[word] as number, word * 4);
  return bytes;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

let lua: string | undefined;

/** The script, beside this module in `src`, or in the package's `src/dedupe/lua` from `dist`. */
function claimLua(): string {
  if (lua !== undefined) return lua;
  const beside = new URL('./lua/claim-n.lua', import.meta.url);
  const file = existsSync(beside) ? beside : new URL('../../src/dedupe/lua/claim-n.lua', import.meta.url);
  lua = readFileSync(file, 'utf8');
  return lua;
}
