import { ConfigError } from '../engine/errors.ts';

// Cache: Pipy's `algo.Cache`, an LRU with an optional TTL. A Map keeps insertion order,
// so moving an entry to the end on every hit makes the first key the least recently
// used: O(1) everything. Expiry is checked lazily when an entry is read; an expired
// entry nobody reads leaves by LRU eviction.

export interface CacheOptions<K, V> {
  /** Most entries; default unlimited. */
  size?: number;
  /** Time to live in ms from `set` (or allocate); default forever. */
  ttl?: number;
  /** Makes the value on a `get` miss, which is then stored. */
  allocate?: (key: K) => V;
  /** Called when an entry leaves: evicted, expired, replaced, removed or cleared. */
  free?: (key: K, value: V) => void;
  /** Monotonic ms clock; default `performance.now`. For tests. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expires: number;
}

const defaultNow = (): number => performance.now();

export class Cache<K, V> {
  readonly #size: number;
  readonly #ttl: number;
  readonly #allocate: ((key: K) => V) | undefined;
  readonly #free: ((key: K, value: V) => void) | undefined;
  readonly #now: () => number;
  readonly #entries = new Map<K, Entry<V>>();

  constructor(options: CacheOptions<K, V> = {}) {
    const size = options.size ?? Infinity;
    if (!(size >= 1)) throw new ConfigError('must be a number >= 1', 'size');
    const ttl = options.ttl ?? Infinity;
    if (!(ttl > 0)) throw new ConfigError('must be a number of ms > 0', 'ttl');
    this.#size = size;
    this.#ttl = ttl;
    this.#allocate = options.allocate;
    this.#free = options.free;
    this.#now = options.now ?? defaultNow;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, made by `allocate` on a miss when given; marks it recently used. */
  get(key: K): V | undefined {
    const entries = this.#entries;
    const e = entries.get(key);
    if (e !== undefined) {
      if (this.#ttl === Infinity || this.#now() < e.expires) {
        entries.delete(key);
        entries.set(key, e);
        return e.value;
      }
      entries.delete(key);
      this.#free?.(key, e.value);
    }
    if (this.#allocate === undefined) return undefined;
    const value = this.#allocate(key);
    this.set(key, value);
    return value;
  }

  /** Stores a value as the most recently used, evicting the least recently used past `size`. */
  set(key: K, value: V): void {
    const entries = this.#entries;
    const expires = this.#ttl === Infinity ? Infinity : this.#now() + this.#ttl;
    const e = entries.get(key);
    if (e !== undefined) {
      entries.delete(key);
      const old = e.value;
      e.value = value;
      e.expires = expires;
      entries.set(key, e);
      if (old !== value) this.#free?.(key, old);
      return;
    }
    entries.set(key, { value, expires });
    if (entries.size > this.#size) {
      const [oldKey, oldEntry] = entries.entries().next().value as [K, Entry<V>];
      entries.delete(oldKey);
      this.#free?.(oldKey, oldEntry.value);
    }
  }

  /** Whether a live entry exists; does not change recency or allocate. */
  has(key: K): boolean {
    const e = this.#entries.get(key);
    if (e === undefined) return false;
    if (this.#ttl === Infinity || this.#now() < e.expires) return true;
    this.#entries.delete(key);
    this.#free?.(key, e.value);
    return false;
  }

  /** Removes an entry; true when it was there (expired or not). */
  remove(key: K): boolean {
    const e = this.#entries.get(key);
    if (e === undefined) return false;
    this.#entries.delete(key);
    this.#free?.(key, e.value);
    return true;
  }

  clear(): void {
    const free = this.#free;
    if (free !== undefined) {
      for (const [key, e] of this.#entries) free(key, e.value);
    }
    this.#entries.clear();
  }
}
