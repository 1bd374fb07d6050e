import { Kind, type Event } from '../engine/event.ts';
import type { Quota } from '../algo/quota.ts';
import { ThrottleBase } from './throttle-base.ts';

/**
 * `throttleDataRate(quota)`: each byte of Data costs one token. What the quota grants goes out
 * at once (a Data may be split); the rest waits, with the events behind it, for refills.
 */
export class ThrottleDataRate extends ThrottleBase {
  clone(): ThrottleDataRate {
    return new ThrottleDataRate(this.config);
  }
  describe(): string {
    return 'throttleDataRate';
  }
  protected consume(evt: Event, quota: Quota): Event | null {
    if (evt.kind !== Kind.Data || evt.size === 0) {
      this.output.input(evt);
      return null;
    }
    const size = evt.size;
    const n = quota.consume(size);
    if (n === size) {
      this.output.input(evt);
      return null;
    }
    if (n > 0) this.output.input(evt.shift(n));
    return evt;
  }
}
