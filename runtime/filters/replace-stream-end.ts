import { Kind } from '../engine/event.ts';
import { ReplaceEvent, type Replacement } from './replace-event.ts';

/** `replaceStreamEnd`: replaces the StreamEnd with what the callback returns (events, Messages, arrays, a promise). */
export class ReplaceStreamEnd extends ReplaceEvent {
  constructor(replacement: Replacement) {
    super(Kind.StreamEnd, replacement);
  }
  clone(): ReplaceStreamEnd {
    return new ReplaceStreamEnd(this.replacement);
  }
  describe(): string {
    return 'replaceStreamEnd';
  }
}
