import { Data, Kind, Message, type Event } from '../engine/event.ts';
import { ReplaceEvent, type Replacement } from './replace-event.ts';

/**
 * `replaceMessage`: collects each whole message (up to `maxBodySize`, else BufferOverflow) and
 * replaces it with what the callback returns.
 */
export class ReplaceMessage extends ReplaceEvent {
  readonly #maxBodySize: number;
  #head: object | null = null;
  #body: Data | null = null;
  /** Ended the stream with BufferOverflow: the rest of it is dropped. */
  #overflowed = false;

  constructor(replacement: Replacement, maxBodySize: number) {
    super(Kind.MessageEnd, replacement);
    this.#maxBodySize = maxBodySize;
  }
  clone(): ReplaceMessage {
    return new ReplaceMessage(this.replacement, this.#maxBodySize);
  }
  describe(): string {
    return 'replaceMessage';
  }
  protected override process(evt: Event): void {
    if (this.#overflowed) return;
    switch (evt.kind) {
      case Kind.MessageStart:
        this.#head = evt.head;
        this.#body = new Data();
        return;
      case Kind.Data:
        if (this.#body === null) break;
        if (this.#body.size + evt.size > this.#maxBodySize) {
          this.#body = null;
          this.#overflowed = true;
          this.error('BufferOverflow', `replaceMessage: body over ${this.#maxBodySize} bytes`);
          return;
        }
        this.#body.push(evt);
        return;
      case Kind.MessageEnd:
        if (this.#body === null) break;
        {
          const msg = new Message(this.#head, this.#body, evt.tail);
          this.#head = this.#body = null;
          this.replace(msg);
        }
        return;
    }
    this.output.input(evt);
  }
}
