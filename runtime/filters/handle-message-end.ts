import { Kind } from '../engine/event.ts';
import { HandleEvent, type HandleCallback } from './handle-event.ts';

/** `handleMessageEnd`: calls back with each MessageEnd (the tail) before passing it on. */
export class HandleMessageEnd extends HandleEvent {
  constructor(cb: HandleCallback) {
    super(Kind.MessageEnd, cb);
  }
  clone(): HandleMessageEnd {
    return new HandleMessageEnd(this.cb);
  }
  describe(): string {
    return 'handleMessageEnd';
  }
}
