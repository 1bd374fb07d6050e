// The shared body of throttleMessageRate, throttleDataRate and throttleConcurrency (Pipy's
// ThrottleBase): an event the quota cannot pay for is held, with every later event of the
// stream behind it, until tokens appear. Waiting streams of one Quota queue in arrival order
// (Pipy's Quota keeps such a queue; our Quota computes refills lazily and has none, so the
// queue lives here, keyed by the Quota). One timer per waiting Quota polls for refills;
// tokens given back by hand (throttleConcurrency) wake the queue at once.
//
//   input --> consume(evt) --ok--> output
//                 | stalled
//                 v
//   #held [evt, later...] <-- QuotaWaiters.pump() (timer / produce) --> drain()

import { type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import { Quota } from '../algo/quota.ts';
import { dispatch, type Pausable } from '../net/flow.ts';
import { counters } from '../admin/counters.ts';

export type QuotaSource = Quota | ((ctx: any) => Quota);

export interface ThrottleOptions {
  /** Pause reading from the client while events are held (default true, as Pipy's blockInput). */
  blockInput?: boolean;
}

export interface ThrottleConfig {
  readonly quota: QuotaSource;
  /** Pause the client while events are held (Pipy's `blockInput`, default true). */
  readonly blockInput: boolean;
}

/** How often a waiting Quota is re-read for refills (our Quota has no refill events). */
export const POLL_MS = 5;

/** The streams waiting on one Quota, first come first served. */
class QuotaWaiters {
  readonly quota: Quota;
  readonly queue: ThrottleBase[] = [];
  #timer: NodeJS.Timeout | null = null;
  #kicked = false;

  constructor(quota: Quota) {
    this.quota = quota;
  }

  add(w: ThrottleBase): void {
    this.queue.push(w);
    this.#arm();
  }

  remove(w: ThrottleBase): void {
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.queue.length === 0 && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** Tokens were given back: serve waiters on the next turn of the loop. */
  kick(): void {
    if (this.queue.length === 0 || this.#kicked) return;
    this.#kicked = true;
    setImmediate(onKick, this);
  }

  pump(): void {
    this.#kicked = false;
    this.#timer = null;
    const q = this.queue;
    while (q.length > 0) {
      const w = q[0]!;
      if (!w.drain(this.quota)) break;
      // What drain() output may have ended that stream, which then left the queue itself.
      if (q[0] === w) q.shift();
    }
    this.#arm();
  }

  #arm(): void {
    if (this.queue.length > 0 && this.#timer === null) {
      this.#timer = setTimeout(onTimer, POLL_MS, this);
    }
  }
}

function onTimer(w: QuotaWaiters): void {
  dispatch(null, w, w.pump, undefined);
}

function onKick(w: QuotaWaiters): void {
  dispatch(null, w, w.pump, undefined);
}

const waitersByQuota = new WeakMap<Quota, QuotaWaiters>();

export function waitersOf(q: Quota): QuotaWaiters {
  let w = waitersByQuota.get(q);
  if (!w) {
    w = new QuotaWaiters(q);
    waitersByQuota.set(q, w);
  }
  return w;
}

export abstract class ThrottleBase extends Filter {
  readonly config: ThrottleConfig;
  #quota: Quota | null = null;
  #held: Event[] | null = null;
  #paused: Pausable | null = null;
  #dead = false;

  constructor(config: ThrottleConfig) {
    super();
    this.config = config;
  }

  /**
   * Pays for `evt` from the quota and outputs what was paid for. Returns null when all of it
   * went out, else the part still owed (the event itself, or the rest of a Data).
   */
  protected abstract consume(evt: Event, quota: Quota): Event | null;

  input(evt: Event): void {
    if (this.#dead) return;
    if (this.#held !== null) {
      this.#held.push(evt);
      return;
    }
    let q = this.#quota;
    if (q === null) {
      q = this.#resolveQuota();
      if (q === null) return;
    }
    const stalled = this.consume(evt, q);
    if (stalled !== null) this.#hold(stalled, q);
  }

  protected get quota(): Quota | null {
    return this.#quota;
  }

  #resolveQuota(): Quota | null {
    const src = this.config.quota;
    if (src instanceof Quota) return (this.#quota = src);
    let q: unknown;
    try {
      q = src(this.context);
    } catch (err) {
      counters.scriptErrors++;
      this.#dead = true;
      this.scriptError(err);
      return null;
    }
    if (!(q instanceof Quota)) {
      this.#dead = true;
      this.error('RuntimeError', `${this.describe()}: the quota function did not return an algo.Quota`);
      return null;
    }
    return (this.#quota = q);
  }

  #hold(stalled: Event, q: Quota): void {
    this.#held = [stalled];
    waitersOf(q).add(this);
    if (this.config.blockInput) {
      const src = (this.context?.inbound?.source ?? null) as Pausable | null;
      if (src) {
        this.#paused = src;
        src.pause();
      }
    }
  }

  /** Called by the quota's queue: outputs what can be paid for; true when nothing is left held. */
  drain(quota: Quota): boolean {
    const held = this.#held;
    if (held === null || this.#dead) return true;
    while (held.length > 0) {
      const stalled = this.consume(held[0]!, quota);
      if (this.#dead) return true;
      if (stalled !== null) {
        held[0] = stalled;
        return false;
      }
      held.shift();
    }
    this.#held = null;
    this.#unpause();
    return true;
  }

  #unpause(): void {
    const p = this.#paused;
    this.#paused = null;
    p?.resume();
  }

  override shutdown(): void {
    this.#dead = true;
    if (this.#held !== null && this.#quota !== null) waitersOf(this.#quota).remove(this);
    this.#held = null;
    this.#unpause();
  }
}
