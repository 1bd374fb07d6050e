import { Data, Kind, Message, type Event } from '../engine/event.ts';
import { isPromise } from '../engine/result.ts';
import { CallbackFilter, FAILED } from './callback-filter.ts';
import type { HandleCallback } from './handle-event.ts';

/**
 * `handleMessage`: passes events on as they come and, at each MessageEnd, calls back with the
 * whole message (head, body, tail). The MessageEnd waits for a returned promise.
 * `maxBodySize` bounds what is kept for the callback (the rest still flows through).
 */
export class HandleMessage extends CallbackFilter {
  readonly #cb: HandleCallback<Message>;
  readonly #maxBodySize: number;
  #head: object | null = null;
  #body: Data | null = null;

  constructor(cb: HandleCallback<Message>, maxBodySize: number) {
    super();
    this.#cb = cb;
    this.#maxBodySize = maxBodySize;
  }
  clone(): HandleMessage {
    return new HandleMessage(this.#cb, this.#maxBodySize);
  }
  describe(): string {
    return 'handleMessage';
  }
  protected process(evt: Event): void {
    switch (evt.kind) {
      case Kind.MessageStart:
        this.#head = evt.head;
        this.#body = new Data();
        break;
      case Kind.Data:
        if (this.#body !== null && this.#body.size < this.#maxBodySize) this.#body.push(evt);
        break;
      case Kind.MessageEnd:
        if (this.#body !== null) {
          const msg = new Message(this.#head, this.#body, evt.tail);
          this.#head = this.#body = null;
          const r = this.call(this.#cb, msg, this.context);
          if (r === FAILED) return;
          if (isPromise(r) && this.awaitResult(r, () => this.output.input(evt))) return; // no closure per event
        }
        break;
    }
    this.output.input(evt);
  }
}
