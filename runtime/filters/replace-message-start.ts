import { Kind } from '../engine/event.ts';
import { ReplaceEvent, type Replacement } from './replace-event.ts';

/** `replaceMessageStart`: replaces each MessageStart with what the callback returns (events, Messages, arrays, a promise). */
export class ReplaceMessageStart extends ReplaceEvent {
  constructor(replacement: Replacement) {
    super(Kind.MessageStart, replacement);
  }
  clone(): ReplaceMessageStart {
    return new ReplaceMessageStart(this.replacement);
  }
  describe(): string {
    return 'replaceMessageStart';
  }
}
