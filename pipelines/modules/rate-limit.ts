// Local rate limiting: a token bucket per key (client IP, a header's value, or one for all),
// refilled lazily from the clock on each request, so there is no timer per bucket. `requests`
// tokens per `interval`, holding at most `burst`. The key table is bounded: when it is full,
// buckets that have refilled completely (they carry no information) are dropped first.

export class LocalRateLimit {
  readonly #rate: number; // tokens per ms
  readonly #burst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #maxKeys: number;

  constructor(requests: number, intervalMs: number, burst: number, maxKeys = 100_000) {
    this.#rate = requests / intervalMs;
    this.#burst = burst;
    this.#maxKeys = maxKeys;
  }

  /** 0 when the request may pass; otherwise seconds until a token is due (Retry-After). */
  take(key: string): number {
    const now = performance.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep(now);
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#rate);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#rate / 1000));
  }

  #sweep(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#rate >= this.#burst) this.#buckets.delete(k);
    }
    if (this.#buckets.size >= this.#maxKeys) this.#buckets.clear();
  }
}
