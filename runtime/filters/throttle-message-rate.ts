import { Kind, type Event } from '../engine/event.ts';
import type { Quota } from '../algo/quota.ts';
import { ThrottleBase } from './throttle-base.ts';

/**
 * `throttleMessageRate(quota)`: each message (its MessageStart) costs one token of the Quota;
 * a message without a token waits, holding the rest of the stream behind it, until one is
 * produced. Messages of all streams sharing the Quota are served in arrival order.
 */
export class ThrottleMessageRate extends ThrottleBase {
  clone(): ThrottleMessageRate {
    return new ThrottleMessageRate(this.config);
  }
  describe(): string {
    return 'throttleMessageRate';
  }
  protected consume(evt: Event, quota: Quota): Event | null {
    if (evt.kind === Kind.MessageStart && quota.consume(1) < 1) return evt;
    this.output.input(evt);
    return null;
  }
}
