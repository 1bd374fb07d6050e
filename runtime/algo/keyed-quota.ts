import { ConfigError } from '../engine/errors.ts';
import { Quota, type QuotaOptions } from './quota.ts';

// KeyedQuota: one Quota per key (a client address, an API key) for per-client rate
// limits. Keys come from clients, so memory is bounded: past `maxKeys` the least recently
// used key is dropped. A dropped key comes back with a full `initial` bucket; that is
// the price of the bound, and it only favours clients idle long enough to be evicted.

export interface KeyedQuotaOptions extends QuotaOptions {
  /** Most keys tracked; default 100,000. */
  maxKeys?: number;
}

export class KeyedQuota<K = string> {
  readonly #initial: number;
  readonly #options: QuotaOptions;
  readonly #maxKeys: number;
  /** Map order is recency order: the first key is the least recently used. */
  readonly #quotas = new Map<K, Quota>();

  constructor(initial: number, options: KeyedQuotaOptions) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!(maxKeys >= 1) || !Number.isInteger(maxKeys)) throw new ConfigError('must be an integer >= 1', 'maxKeys');
    // Validates the options once, here, rather than per key.
    new Quota(initial, options);
    this.#initial = initial;
    this.#options = { per: options.per, produce: options.produce, max: options.max, now: options.now };
    this.#maxKeys = maxKeys;
  }

  /** Takes up to `n` tokens from `key`'s bucket; returns how many were granted. */
  consume(key: K, n = 1): number {
    return this.#touch(key).consume(n);
  }

  /** Tokens `key` has now (a full bucket for an unseen key); does not create the key. */
  available(key: K): number {
    const q = this.#quotas.get(key);
    return q === undefined ? new Quota(this.#initial, this.#options).available : q.available;
  }

  delete(key: K): boolean {
    return this.#quotas.delete(key);
  }

  get size(): number {
    return this.#quotas.size;
  }

  #touch(key: K): Quota {
    const quotas = this.#quotas;
    let q = quotas.get(key);
    if (q !== undefined) {
      // Re-inserting moves the key to the most recent end.
      quotas.delete(key);
    } else {
      q = new Quota(this.#initial, this.#options);
      if (quotas.size >= this.#maxKeys) quotas.delete(quotas.keys().next().value as K);
    }
    quotas.set(key, q);
    return q;
  }
}
