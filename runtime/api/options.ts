// Option readers used by the designer at load time, never per event. Each returns a plain
// number in ms or bytes, or throws ConfigError naming the filter and option.

import { ConfigError } from '../engine/errors.ts';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const UNITS_BYTES: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1 << 20, mb: 1 << 20, g: 1 << 30, gb: 1 << 30 };

/** 1.5, '1.5s', '100ms', '2m' → ms. A bare number is seconds, as in Pipy. */
export function duration(v: unknown, where: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number' && v >= 0 && Number.isFinite(v)) return v * 1000;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
    if (m) return Number(m[1]) * UNITS_MS[m[2] ?? 'ms']!;
  }
  throw new ConfigError(`expected a duration (seconds, or a string like '5s', '100ms'), got ${JSON.stringify(v)}`, where);
}

/** 4096, '16k', '1m' → bytes. */
export function size(v: unknown, where: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number' && v >= 0 && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*$/i.exec(v);
    if (m) return Math.floor(Number(m[1]) * UNITS_BYTES[m[2]!.toLowerCase()]!);
  }
  throw new ConfigError(`expected a size in bytes (or a string like '16k', '1m'), got ${JSON.stringify(v)}`, where);
}

export function count(v: unknown, where: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw new ConfigError(`expected a whole number >= 0, got ${JSON.stringify(v)}`, where);
}

export function oneOf<T extends string>(v: unknown, where: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined || v === null) return dflt;
  if (allowed.includes(v as T)) return v as T;
  throw new ConfigError(`expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`, where);
}

export function func<F extends Function>(v: unknown, where: string): F {
  if (typeof v === 'function') return v as F;
  throw new ConfigError(`expected a function, got ${v === null ? 'null' : typeof v}`, where);
}

/** Rejects option names a filter does not know (a typo would otherwise be silently ignored). */
export function known(opts: object | undefined, where: string, names: readonly string[]): void {
  if (!opts) return;
  if (typeof opts !== 'object') throw new ConfigError(`options must be an object`, where);
  for (const k of Object.keys(opts)) {
    if (!names.includes(k)) throw new ConfigError(`unknown option '${k}' (known: ${names.join(', ')})`, where);
  }
}
