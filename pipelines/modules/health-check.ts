// Active HTTP health checks, off the data path: a timer per backend probes each endpoint with
// undici (Sluice's own outbound client) and flips `endpoint.healthy` after `unhealthyThreshold`
// failures in a row, back after `healthyThreshold` successes. Requests only read the flag.

import { request } from 'undici';
import type { Endpoint } from './balancer.ts';

export interface ActiveCheckOptions {
  path: string;
  interval: number;
  timeout: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** Statuses that count as healthy; empty = 200-399. */
  expectedStatuses: number[];
  hostname: string | null;
}

export class ActiveHealthCheck {
  readonly #eps: readonly Endpoint[];
  readonly #o: ActiveCheckOptions;
  readonly #onChange: (e: Endpoint, healthy: boolean) => void;
  readonly #streak = new Map<Endpoint, number>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(eps: readonly Endpoint[], o: ActiveCheckOptions, onChange: (e: Endpoint, healthy: boolean) => void) {
    this.#eps = eps;
    this.#o = o;
    this.#onChange = onChange;
  }

  start(): void {
    this.#timer = setInterval(() => void this.probeAll(), this.#o.interval);
    this.#timer.unref();
    void this.probeAll();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async probeAll(): Promise<void> {
    await Promise.all(this.#eps.map((e) => this.#probe(e)));
  }

  async #probe(e: Endpoint): Promise<void> {
    const o = this.#o;
    let ok = false;
    try {
      const res = await request(`http://${e.target}${o.path}`, {
        method: 'GET',
        headers: { host: o.hostname ?? e.target, 'user-agent': 'sluice-health-check' },
        headersTimeout: o.timeout,
        bodyTimeout: o.timeout,
        signal: AbortSignal.timeout(o.timeout),
      });
      await res.body.dump();
      ok = o.expectedStatuses.length ? o.expectedStatuses.includes(res.statusCode) : res.statusCode >= 200 && res.statusCode < 400;
    } catch {
      ok = false;
    }
    if (this.#stopped) return;
    // Positive streak counts successes, negative counts failures.
    const s = this.#streak.get(e) ?? 0;
    const n = ok ? (s > 0 ? s + 1 : 1) : s < 0 ? s - 1 : -1;
    this.#streak.set(e, n);
    if (e.healthy && n <= -o.unhealthyThreshold) {
      e.healthy = false;
      this.#onChange(e, false);
    } else if (!e.healthy && n >= o.healthyThreshold) {
      e.healthy = true;
      this.#onChange(e, true);
    }
  }
}
