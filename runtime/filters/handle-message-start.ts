import { Kind } from '../engine/event.ts';
import { HandleEvent, type HandleCallback } from './handle-event.ts';

/** `handleMessageStart`: calls back with each MessageStart (the head) before passing it on. */
export class HandleMessageStart extends HandleEvent {
  constructor(cb: HandleCallback) {
    super(Kind.MessageStart, cb);
  }
  clone(): HandleMessageStart {
    return new HandleMessageStart(this.cb);
  }
  describe(): string {
    return 'handleMessageStart';
  }
}
