import { Kind } from '../engine/event.ts';
import { HandleEvent, type HandleCallback } from './handle-event.ts';

/** `handleStreamEnd`: calls back with the StreamEnd before passing it on. */
export class HandleStreamEnd extends HandleEvent {
  constructor(cb: HandleCallback) {
    super(Kind.StreamEnd, cb);
  }
  clone(): HandleStreamEnd {
    return new HandleStreamEnd(this.cb);
  }
  describe(): string {
    return 'handleStreamEnd';
  }
}
