import { ConfigError } from '../engine/errors.ts';

// RoundRobinLoadBalancer: Pipy's `algo.RoundRobinLoadBalancer`, picking targets by
// smooth weighted round robin, nginx's algorithm (ngx_http_upstream_get_peer in
// ngx_http_upstream_round_robin.c): each pick, every eligible target's `current` grows by
// its weight, the largest wins and pays back the total. Weights {a:5, b:1, c:1} give
// a a b a c a a: spread out, not a a a a a b c.

export class RoundRobinLoadBalancer<T = string> {
  readonly #targets: T[];
  readonly #weights: Float64Array;
  readonly #current: Float64Array;
  readonly #healthy: Uint8Array;
  readonly #index: Map<T, number>;
  /** Sum of the weights of healthy targets, kept in step with `setHealthy`. */
  #total = 0;

  /** An array gives each target weight 1 (a repeated target adds up); an object maps target to weight. */
  constructor(targets: readonly T[]);
  constructor(targets: Record<string, number>);
  constructor(targets: readonly T[] | Record<string, number>) {
    const index = new Map<T, number>();
    const list: T[] = [];
    const weights: number[] = [];
    if (Array.isArray(targets)) {
      for (const t of targets as readonly T[]) {
        const i = index.get(t);
        if (i === undefined) {
          index.set(t, list.length);
          list.push(t);
          weights.push(1);
        } else {
          weights[i]! += 1;
        }
      }
    } else {
      const table = targets as Record<string, number>;
      for (const key of Object.keys(table)) {
        const w = table[key];
        if (typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w)) {
          throw new ConfigError('weight must be a finite number >= 0', `targets.${key}`);
        }
        index.set(key as T, list.length);
        list.push(key as T);
        weights.push(w);
      }
    }
    this.#targets = list;
    this.#index = index;
    this.#weights = Float64Array.from(weights);
    this.#current = new Float64Array(list.length);
    this.#healthy = new Uint8Array(list.length).fill(1);
    this.#updateTotal();
  }

  /** The next target, or undefined when none has weight > 0 and is healthy. */
  next(): T | undefined {
    const weights = this.#weights;
    const current = this.#current;
    const healthy = this.#healthy;
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w > 0 && healthy[i] === 1) {
        current[i]! += w;
        if (best < 0 || current[i]! > current[best]!) best = i;
      }
    }
    if (best < 0) return undefined;
    current[best]! -= this.#total;
    return this.#targets[best];
  }

  /** Unhealthy targets are skipped until marked healthy again. Unknown targets are ignored. */
  setHealthy(target: T, healthy: boolean): void {
    const i = this.#index.get(target);
    if (i === undefined || (this.#healthy[i] === 1) === healthy) return;
    this.#healthy[i] = healthy ? 1 : 0;
    this.#updateTotal();
  }

  isHealthy(target: T): boolean {
    const i = this.#index.get(target);
    return i !== undefined && this.#healthy[i] === 1;
  }

  #updateTotal(): void {
    let total = 0;
    for (let i = 0; i < this.#weights.length; i++) {
      if (this.#healthy[i] === 1) total += this.#weights[i]!;
    }
    this.#total = total;
    // The `current` credits were earned against the old set; starting over keeps the
    // sequence smooth for the new one instead of bursting to whoever had saved up.
    this.#current.fill(0);
  }
}
