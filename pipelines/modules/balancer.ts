// Endpoints of a backend and the ways to pick one: round robin (smooth weighted, as nginx),
// random (weighted), least request (power of two choices over in-flight requests / weight),
// consistent hash (a ring of virtual nodes, so adding or ejecting an endpoint moves only its
// share of keys). Health is two flags kept on the endpoint: `healthy` (active checks) and
// `ejectedUntil` (passive outlier detection); a picker skips endpoints that are down.

import { createHash } from 'node:crypto';
import { hashKey } from '../api/index.ts';

export class Endpoint {
  readonly host: string;
  readonly port: number;
  /** `host:port`: the upstream pool key and the label in metrics and logs. */
  readonly target: string;
  readonly weight: number;
  healthy = true;
  ejectedUntil = 0;
  ejections = 0;
  consecutiveErrors = 0;
  /** Requests in flight (least request, circuit breaking). */
  active = 0;
  /** Smooth weighted round robin state. */
  current = 0;

  constructor(host: string, port: number, weight: number) {
    this.host = host;
    this.port = port;
    this.target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.weight = weight;
  }

  up(now: number): boolean {
    return this.healthy && this.ejectedUntil <= now;
  }
}

export type BalancerType = 'RoundRobin' | 'Random' | 'LeastRequest' | 'ConsistentHash';

export interface Picker {
  /** An endpoint that is up, or null; `avoid` (a failed attempt's endpoint) is skipped when another is up. */
  pick(hashKey: string | null, avoid: Endpoint | null): Endpoint | null;
}

export function createPicker(type: BalancerType, endpoints: readonly Endpoint[]): Picker {
  switch (type) {
    case 'RoundRobin': return new RoundRobin(endpoints);
    case 'Random': return new WeightedRandom(endpoints);
    case 'LeastRequest': return new LeastRequest(endpoints);
    case 'ConsistentHash': return new HashRing(endpoints);
  }
}

class RoundRobin implements Picker {
  readonly #eps: readonly Endpoint[];
  constructor(eps: readonly Endpoint[]) {
    this.#eps = eps.filter((e) => e.weight > 0);
  }
  pick(_key: string | null, avoid: Endpoint | null): Endpoint | null {
    const now = Date.now();
    let best: Endpoint | null = null;
    let total = 0;
    for (const e of this.#eps) {
      if (!e.up(now) || (e === avoid && this.#eps.length > 1)) continue;
      e.current += e.weight;
      total += e.weight;
      if (best === null || e.current > best.current) best = e;
    }
    if (best) best.current -= total;
    else if (avoid && avoid.up(now)) return avoid;
    return best;
  }
}

class WeightedRandom implements Picker {
  readonly #eps: readonly Endpoint[];
  constructor(eps: readonly Endpoint[]) {
    this.#eps = eps.filter((e) => e.weight > 0);
  }
  pick(_key: string | null, avoid: Endpoint | null): Endpoint | null {
    const now = Date.now();
    let total = 0;
    for (const e of this.#eps) if (e.up(now) && e !== avoid) total += e.weight;
    if (total === 0) return avoid && avoid.up(now) ? avoid : null;
    let r = Math.random() * total;
    for (const e of this.#eps) {
      if (!e.up(now) || e === avoid) continue;
      r -= e.weight;
      if (r < 0) return e;
    }
    return null;
  }
}

class LeastRequest implements Picker {
  readonly #eps: readonly Endpoint[];
  constructor(eps: readonly Endpoint[]) {
    this.#eps = eps.filter((e) => e.weight > 0);
  }
  pick(_key: string | null, avoid: Endpoint | null): Endpoint | null {
    const now = Date.now();
    const up = this.#eps.filter((e) => e.up(now) && e !== avoid);
    if (up.length === 0) return avoid && avoid.up(now) ? avoid : null;
    if (up.length === 1) return up[0]!;
    // Power of two choices (Mitzenmacher): as good as a full scan in practice, O(1).
    const a = up[Math.floor(Math.random() * up.length)]!;
    let b = up[Math.floor(Math.random() * (up.length - 1))]!;
    if (b === a) b = up[up.length - 1]!;
    return a.active / a.weight <= b.active / b.weight ? a : b;
  }
}

const VNODES = 160;

class HashRing implements Picker {
  readonly #ring: { h: number; e: Endpoint }[] = [];
  readonly #fallback: WeightedRandom;
  constructor(eps: readonly Endpoint[]) {
    for (const e of eps) {
      for (let i = 0; i < VNODES * e.weight && i < 10_000; i++) this.#ring.push({ h: hash32(`${e.target}#${i}`), e });
    }
    this.#ring.sort((a, b) => a.h - b.h);
    this.#fallback = new WeightedRandom(eps);
  }
  pick(key: string | null, avoid: Endpoint | null): Endpoint | null {
    if (key === null || this.#ring.length === 0) return this.#fallback.pick(null, avoid);
    const h = hash32(key);
    const ring = this.#ring;
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ring[mid]!.h < h) lo = mid + 1;
      else hi = mid;
    }
    const now = Date.now();
    for (let i = 0; i < ring.length; i++) {
      const e = ring[(lo + i) % ring.length]!.e;
      if (e.up(now) && e !== avoid) return e;
    }
    return avoid && avoid.up(now) ? avoid : null;
  }
}

/**
 * A well-spread 32-bit hash (FNV-1a with murmur3's finalizer, algo's own): stable across
 * processes and reloads, so a key keeps its endpoint.
 */
export function hash32(s: string): number {
  return hashKey(s);
}

/** The opaque value of a session-persistence cookie naming an endpoint. */
export function sessionToken(e: Endpoint): string {
  return createHash('sha256').update(e.target).digest('base64url').slice(0, 16);
}
