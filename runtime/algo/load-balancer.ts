import { ConfigError } from '../engine/errors.ts';
import { Allocation, type Slot } from './allocation.ts';
import { hashKey, hashString, mix32 } from './hash.ts';

// LoadBalancer: Pipy's `algo.LoadBalancer` (allocate and free), with three algorithms:
//
//   'round-robin'  smooth weighted round robin (nginx's), as RoundRobinLoadBalancer
//   'least-load'   fewest outstanding allocations per unit of weight; ties rotate
//   'hash'         consistent hashing of the key on a ring of virtual nodes; without a
//                  key it falls back to round robin
//
// A target is eligible when its weight is > 0, it is healthy, and it is below its
// capacity. `hash` walks the ring past ineligible targets, so only their keys move.
// Everything a pick needs (weights, capacities, the ring) is computed by `provision`.

export type LoadBalancerAlgorithm = 'round-robin' | 'least-load' | 'hash';

export interface LoadBalancerOptions<T> {
  /** Default 'round-robin'. */
  algorithm?: LoadBalancerAlgorithm;
  /** Relative weight of a target, >= 0; default 1. Called by `provision`, never per pick. */
  weight?: (target: T) => number;
  /** Most concurrent allocations of a target; 0 or undefined is unlimited. */
  capacity?: (target: T) => number;
  /** Identity of a target on the hash ring; default `String(target)`. */
  key?: (target: T) => string;
}

const Algo = { RoundRobin: 0, LeastLoad: 1, Hash: 2 } as const;
type Algo = (typeof Algo)[keyof typeof Algo];
const ALGORITHMS: Record<LoadBalancerAlgorithm, Algo> = {
  'round-robin': Algo.RoundRobin,
  'least-load': Algo.LeastLoad,
  hash: Algo.Hash,
};

/**
 * Virtual nodes per unit of weight. 160 (as ketama) keeps each target's share of the ring
 * within a few percent; a target's points depend only on its own key and weight, so
 * adding or removing one target leaves every other target's points in place.
 */
const VNODES_PER_WEIGHT = 160;
const VNODES_MAX = 16384;

function eligible<T>(s: Slot<T>): boolean {
  return s.weight > 0 && s.healthy && (s.capacity <= 0 || s.load < s.capacity);
}

export class LoadBalancer<T = string> {
  readonly #algo: Algo;
  readonly #weightOf: ((target: T) => number) | undefined;
  readonly #capacityOf: ((target: T) => number) | undefined;
  readonly #keyOf: ((target: T) => string) | undefined;
  #slots: Slot<T>[] = [];
  #byTarget = new Map<T, Slot<T>>();
  /** The hash ring: sorted points and, in parallel, the slot each point belongs to. */
  #ringPoints = new Uint32Array(0);
  #ringSlots = new Uint32Array(0);
  /** Where least-load starts scanning, advanced each pick so ties spread out. */
  #cursor = 0;

  constructor(targets: readonly T[], options: LoadBalancerOptions<T> = {}) {
    const algo = ALGORITHMS[options.algorithm ?? 'round-robin'];
    if (algo === undefined) {
      throw new ConfigError(`unknown algorithm "${String(options.algorithm)}"`, 'algorithm');
    }
    this.#algo = algo;
    this.#weightOf = options.weight;
    this.#capacityOf = options.capacity;
    this.#keyOf = options.key;
    this.provision(targets);
  }

  /**
   * Replaces the set of targets. A target kept from the old set keeps its outstanding
   * allocations and health; weights and capacities are read again.
   */
  provision(targets: readonly T[]): void {
    const byTarget = new Map<T, Slot<T>>();
    const slots: Slot<T>[] = [];
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i] as T;
      if (byTarget.has(target)) throw new ConfigError('duplicate target', `targets[${i}]`);
      const weight = this.#weightOf ? this.#weightOf(target) : 1;
      if (typeof weight !== 'number' || !(weight >= 0) || !Number.isFinite(weight)) {
        throw new ConfigError('weight must be a finite number >= 0', `targets[${i}]`);
      }
      const capacity = this.#capacityOf ? this.#capacityOf(target) : 0;
      if (typeof capacity !== 'number' || !(capacity >= 0)) {
        throw new ConfigError('capacity must be a number >= 0', `targets[${i}]`);
      }
      const slot: Slot<T> = this.#byTarget.get(target) ?? {
        target,
        load: 0,
        weight: 0,
        capacity: 0,
        healthy: true,
        current: 0,
      };
      slot.weight = weight;
      slot.capacity = capacity;
      slot.current = 0;
      byTarget.set(target, slot);
      slots.push(slot);
    }
    if (this.#algo === Algo.Hash) this.#buildRing(slots);
    this.#slots = slots;
    this.#byTarget = byTarget;
    this.#cursor = 0;
  }

  /**
   * Picks a target and counts one use of it until `free()`. `key` matters to 'hash' only.
   * Undefined when no target is eligible.
   */
  allocate(key?: string | number): Allocation<T> | undefined {
    let slot: Slot<T> | null;
    if (this.#algo === Algo.LeastLoad) slot = this.#leastLoad();
    else if (this.#algo === Algo.Hash && key !== undefined) slot = this.#hash(key);
    else slot = this.#roundRobin();
    if (slot === null) return undefined;
    slot.load++;
    return new Allocation(slot);
  }

  /** Unhealthy targets are skipped until marked healthy again. Unknown targets are ignored. */
  setHealthy(target: T, healthy: boolean): void {
    const slot = this.#byTarget.get(target);
    if (slot !== undefined) slot.healthy = healthy;
  }

  /** Outstanding (not yet freed) allocations of a target, for metrics. */
  connections(target: T): number {
    return this.#byTarget.get(target)?.load ?? 0;
  }

  get targets(): readonly T[] {
    return this.#slots.map((s) => s.target);
  }

  #roundRobin(): Slot<T> | null {
    const slots = this.#slots;
    let best: Slot<T> | null = null;
    let total = 0;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (!eligible(s)) continue;
      s.current += s.weight;
      total += s.weight;
      if (best === null || s.current > best.current) best = s;
    }
    if (best !== null) best.current -= total;
    return best;
  }

  #leastLoad(): Slot<T> | null {
    const slots = this.#slots;
    const n = slots.length;
    if (n === 0) return null;
    const start = this.#cursor;
    this.#cursor = start + 1 >= n ? 0 : start + 1;
    let best: Slot<T> | null = null;
    let bestScore = Infinity;
    for (let k = 0, i = start; k < n; k++, i = i + 1 >= n ? 0 : i + 1) {
      const s = slots[i]!;
      if (!eligible(s)) continue;
      // (load + 1) / weight is the load this target would have after the pick; with all
      // targets idle it prefers the heavier one, so steady load ends up weight-proportional.
      const score = (s.load + 1) / s.weight;
      if (score < bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  #hash(key: string | number): Slot<T> | null {
    const points = this.#ringPoints;
    const n = points.length;
    if (n === 0) return null;
    const h = hashKey(key);
    // First point >= h, wrapping to 0.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const slots = this.#slots;
    const owners = this.#ringSlots;
    for (let k = 0, i = lo === n ? 0 : lo; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const s = slots[owners[i]!]!;
      if (eligible(s)) return s;
    }
    return null;
  }

  #buildRing(slots: Slot<T>[]): void {
    const points: number[] = [];
    const owners: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      const key = this.#keyOf ? this.#keyOf(s.target) : String(s.target);
      if (seen.has(key)) {
        throw new ConfigError(`two targets have the hash key "${key}"; give a key option`, `targets[${i}]`);
      }
      seen.add(key);
      if (s.weight <= 0) continue;
      const vnodes = Math.min(VNODES_MAX, Math.max(1, Math.round(VNODES_PER_WEIGHT * s.weight)));
      for (let v = 0; v < vnodes; v++) {
        const id = `${key}#${v}`;
        points.push(mix32(hashString(id, 0, id.length)));
        owners.push(i);
      }
    }
    const order = points.map((_, i) => i);
    // Ties (two equal points) are broken by slot order so the ring is deterministic.
    order.sort((a, b) => points[a]! - points[b]! || owners[a]! - owners[b]!);
    this.#ringPoints = Uint32Array.from(order, (i) => points[i]!);
    this.#ringSlots = Uint32Array.from(order, (i) => owners[i]!);
  }
}
