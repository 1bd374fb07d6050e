// Hash functions shared by the algo module. They read char codes in place so a lookup
// never has to slice a string (a slice is an allocation on the hot path).

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 code units of `s` in [start, end). Unsigned 32-bit. */
export function hashString(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * MurmurHash3's fmix32 finalizer. FNV-1a alone clusters similar keys ("k1", "k2"...)
 * on a hash ring; the avalanche step spreads them over the whole 32-bit space.
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A well-spread 32-bit hash of a string or number key, for consistent hashing. */
export function hashKey(key: string | number): number {
  if (typeof key === 'string') return mix32(hashString(key, 0, key.length));
  // Fold the high word in so keys that differ only above 2^32 still differ.
  return mix32((key >>> 0) ^ mix32(Math.floor(key / 4294967296) >>> 0));
}
