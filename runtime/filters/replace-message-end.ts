import { Kind } from '../engine/event.ts';
import { ReplaceEvent, type Replacement } from './replace-event.ts';

/** `replaceMessageEnd`: replaces each MessageEnd with what the callback returns (events, Messages, arrays, a promise). */
export class ReplaceMessageEnd extends ReplaceEvent {
  constructor(replacement: Replacement) {
    super(Kind.MessageEnd, replacement);
  }
  clone(): ReplaceMessageEnd {
    return new ReplaceMessageEnd(this.replacement);
  }
  describe(): string {
    return 'replaceMessageEnd';
  }
}
