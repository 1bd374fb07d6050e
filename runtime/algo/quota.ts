import { ConfigError } from '../engine/errors.ts';

// Quota: Pipy's `algo.Quota`, a token bucket. Every `per` ms it produces `produce`
// tokens, up to `max`. Pipy refills from a timer; here the refill is computed when the
// bucket is read, from a monotonic clock, so an idle quota costs nothing and there is
// no timer to leak. Refills come in whole batches of `produce` (as Pipy's ticks do); the
// time already counted towards the next batch is kept, so nothing drifts.

export interface QuotaOptions {
  /** Refill period in ms, > 0. */
  per: number;
  /** Tokens added each period, >= 0. */
  produce: number;
  /** Most tokens held; default the larger of `initial` and `produce`. */
  max?: number;
  /** Monotonic ms clock; default `performance.now`. For tests. */
  now?: () => number;
}

const defaultNow = (): number => performance.now();

export class Quota {
  readonly initial: number;
  readonly #per: number;
  readonly #produce: number;
  readonly #max: number;
  readonly #now: () => number;
  #current: number;
  /** Clock time up to which refills have been counted. */
  #last: number;

  constructor(initial: number, options: QuotaOptions) {
    if (!(initial >= 0) || !Number.isFinite(initial)) throw new ConfigError('must be a finite number >= 0', 'initial');
    const { per, produce } = options;
    if (!(per > 0) || !Number.isFinite(per)) throw new ConfigError('must be a number of ms > 0', 'per');
    if (!(produce >= 0) || !Number.isFinite(produce)) throw new ConfigError('must be a finite number >= 0', 'produce');
    const max = options.max ?? Math.max(initial, produce);
    if (!(max >= 0)) throw new ConfigError('must be a number >= 0', 'max');
    this.initial = initial;
    this.#per = per;
    this.#produce = produce;
    this.#max = max;
    this.#now = options.now ?? defaultNow;
    this.#current = Math.min(initial, max);
    this.#last = this.#now();
  }

  /** Tokens available now. */
  get available(): number {
    this.#refill();
    return this.#current;
  }

  /** Takes up to `n` tokens; returns how many were granted (0..n). */
  consume(n = 1): number {
    this.#refill();
    const granted = n < this.#current ? n : this.#current;
    this.#current -= granted;
    return granted;
  }

  /** Adds tokens by hand (Pipy's `produce`), up to `max`. */
  produce(n: number): void {
    this.#refill();
    this.#current = Math.min(this.#max, this.#current + n);
  }

  /** Back to `initial` tokens, with the refill period starting now. */
  reset(): void {
    this.#current = Math.min(this.initial, this.#max);
    this.#last = this.#now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    if (elapsed < this.#per) return;
    const periods = Math.floor(elapsed / this.#per);
    this.#last += periods * this.#per;
    if (this.#current >= this.#max) return;
    const next = this.#current + periods * this.#produce;
    this.#current = next < this.#max ? next : this.#max;
  }
}
