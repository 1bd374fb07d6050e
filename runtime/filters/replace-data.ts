import { Kind } from '../engine/event.ts';
import { ReplaceEvent, type Replacement } from './replace-event.ts';

/** `replaceData`: replaces each Data event with what the callback returns (events, Messages, arrays, a promise). */
export class ReplaceData extends ReplaceEvent {
  constructor(replacement: Replacement) {
    super(Kind.Data, replacement);
  }
  clone(): ReplaceData {
    return new ReplaceData(this.replacement);
  }
  describe(): string {
    return 'replaceData';
  }
}
