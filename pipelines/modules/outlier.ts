// Passive health (outlier ejection, as Envoy's consecutive-5xx detector): every response or
// connection failure is reported here; `consecutiveErrors` failures in a row eject the endpoint
// for baseEjectionTime x (number of times it was ejected), never more than maxEjectionPercent
// of the backend at once. An ejected endpoint comes back by itself when its time is up.

import type { Endpoint } from './balancer.ts';

export interface OutlierOptions {
  consecutiveErrors: number;
  baseEjectionTime: number;
  maxEjectionPercent: number;
}

export class OutlierDetector {
  readonly #eps: readonly Endpoint[];
  readonly #o: OutlierOptions;
  readonly #onEject: (e: Endpoint) => void;

  constructor(eps: readonly Endpoint[], o: OutlierOptions, onEject: (e: Endpoint) => void) {
    this.#eps = eps;
    this.#o = o;
    this.#onEject = onEject;
  }

  /** `failed`: a 5xx or no response at all. */
  report(e: Endpoint, failed: boolean): void {
    if (!failed) {
      e.consecutiveErrors = 0;
      return;
    }
    if (++e.consecutiveErrors < this.#o.consecutiveErrors) return;
    const now = Date.now();
    if (e.ejectedUntil > now) return;
    let ejected = 0;
    for (const x of this.#eps) if (x.ejectedUntil > now) ejected++;
    if (((ejected + 1) / this.#eps.length) * 100 > this.#o.maxEjectionPercent) return;
    e.ejections++;
    e.consecutiveErrors = 0;
    e.ejectedUntil = now + this.#o.baseEjectionTime * Math.min(e.ejections, 10);
    this.#onEject(e);
  }
}
