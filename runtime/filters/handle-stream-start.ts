import { type Event } from '../engine/event.ts';
import { CallbackFilter, FAILED } from './callback-filter.ts';
import type { HandleCallback } from './handle-event.ts';

/** `handleStreamStart`: calls back with the first event of the stream, once. */
export class HandleStreamStart extends CallbackFilter {
  readonly #cb: HandleCallback;
  #started = false;
  constructor(cb: HandleCallback) {
    super();
    this.#cb = cb;
  }
  clone(): HandleStreamStart {
    return new HandleStreamStart(this.#cb);
  }
  describe(): string {
    return 'handleStreamStart';
  }
  protected process(evt: Event): void {
    if (!this.#started) {
      this.#started = true;
      const r = this.call(this.#cb, evt, this.context);
      if (r === FAILED) return;
      if (this.awaitResult(r, () => this.output.input(evt))) return;
    }
    this.output.input(evt);
  }
}
