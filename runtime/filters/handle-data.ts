import { Kind } from '../engine/event.ts';
import { HandleEvent, type HandleCallback } from './handle-event.ts';

/** `handleData`: calls back with each Data event before passing it on. */
export class HandleData extends HandleEvent {
  constructor(cb: HandleCallback) {
    super(Kind.Data, cb);
  }
  clone(): HandleData {
    return new HandleData(this.cb);
  }
  describe(): string {
    return 'handleData';
  }
}
