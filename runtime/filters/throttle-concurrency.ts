import { type Event } from '../engine/event.ts';
import type { Quota } from '../algo/quota.ts';
import { ThrottleBase, waitersOf } from './throttle-base.ts';

/**
 * `throttleConcurrency(quota)`: the Quota is a counting semaphore. A stream takes one token at
 * its first event and gives it back when it ends (its pipeline shuts down); a stream that finds
 * none waits, in arrival order, holding its events. Create the Quota with `produce: 0` so the
 * count only changes by streams giving tokens back: `new algo.Quota(10, { per: 1000, produce: 0 })`.
 */
export class ThrottleConcurrency extends ThrottleBase {
  #active = false;
  clone(): ThrottleConcurrency {
    return new ThrottleConcurrency(this.config);
  }
  describe(): string {
    return 'throttleConcurrency';
  }
  protected consume(evt: Event, quota: Quota): Event | null {
    if (!this.#active) {
      if (quota.consume(1) < 1) return evt;
      this.#active = true;
    }
    this.output.input(evt);
    return null;
  }
  override shutdown(): void {
    super.shutdown();
    const q = this.quota;
    if (this.#active && q !== null) {
      this.#active = false;
      q.produce(1);
      waitersOf(q).kick();
    }
  }
}
