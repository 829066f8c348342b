import { InvalidOptionError } from '../errors.js';
import { checkRate, parseRate, type Rate } from './rate.js';

/**
 * One layer of a layered limit: a key with a rate of its own, such as a Stripe account's global
 * budget (`stripe:5f1c…`) or one endpoint's (`stripe:5f1c…:charges`).
 */
export type LimiterLayer = {
  /** The bucket's key; every process that counts against the same budget uses the same key. */
  readonly key: string;
  /**
   * The layer's rate, as `25/1s` or a {@link Rate}.
   * @default the limiter's own rate (the user's `--rate`)
   */
  readonly rate?: string | Rate;
  /**
   * Names the layer, so that an error can say which one the API refused (`limiterLayer`).
   * @default the key
   */
  readonly name?: string;
};

/**
 * What a task's permit is taken from: one key at the limiter's rate, or several layers at once
 * (a permit is granted only when every layer allows it, and counts against all of them).
 */
export type LimiterKey = string | readonly LimiterLayer[];

/** A layer with its rate resolved. */
export type ResolvedLayer = { readonly key: string; readonly rate: Rate; readonly name: string };

/**
 * Resolves a task's layers against the limiter's own rate.
 *
 * @throws {InvalidOptionError} for no layers, a key given twice, or a rate that does not parse.
 */
export function resolveLayers(layers: readonly LimiterLayer[], limiterRate: Rate): ResolvedLayer[] {
  if (layers.length === 0)
    throw new InvalidOptionError('limiterKey', 'a layered key needs at least one layer.');
  const keys = new Set<string>();
  return layers.map((layer) => {
    if (keys.has(layer.key)) {
      throw new InvalidOptionError('limiterKey', `the layer key ${layer.key} is given twice.`);
    }
    keys.add(layer.key);
    const rate =
      layer.rate === undefined
        ? limiterRate
        : typeof layer.rate === 'string'
          ? parseRate(layer.rate, 'limiterKey')
          : checkRate(layer.rate, 'limiterKey');
    return { key: layer.key, rate, name: layer.name ?? layer.key };
  });
}

/**
 * The key to pause after a 429: the layer the error names in `limiterLayer` (a layer's name or
 * key), else the first layer — the widest budget, which most APIs (Stripe included) do not say
 * they refused. A plain key is paused as it is.
 *
 * @example pauseKeyOf([{ key: 'acct', name: 'account' }, { key: 'acct:charges', name: 'endpoint' }], { limiterLayer: 'endpoint' }) // 'acct:charges'
 */
export function pauseKeyOf(key: LimiterKey, error: unknown): string {
  if (typeof key === 'string') return key;
  const named = (error as { limiterLayer?: unknown } | null)?.limiterLayer;
  const layer =
    typeof named === 'string'
      ? key.find((candidate) => (candidate.name ?? candidate.key) === named || candidate.key === named)
      : undefined;
  return (layer ?? key[0])?.key ?? '';
}
