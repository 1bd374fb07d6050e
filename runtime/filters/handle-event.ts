// The handle* filters share one behaviour: call back with the events of one kind, pass every
// event on unchanged, and hold the stream while a returned promise settles. Each public
// filter is a thin subclass in its own file.

import { type Event, type Kind } from '../engine/event.ts';
import { isPromise } from '../engine/result.ts';
import { CallbackFilter, FAILED } from './callback-filter.ts';

export type HandleCallback<E = any, C = any> = (evt: E, ctx: C) => unknown;

export abstract class HandleEvent extends CallbackFilter {
  readonly #kind: Kind;
  protected readonly cb: HandleCallback;

  constructor(kind: Kind, cb: HandleCallback) {
    super();
    this.#kind = kind;
    this.cb = cb;
  }

  protected process(evt: Event): void {
    if (evt.kind === this.#kind) {
      const r = this.call(this.cb, evt, this.context);
      if (r === FAILED) return;
      // isPromise first: the closure is made only for an async callback, not per event.
      if (isPromise(r) && this.awaitResult(r, () => this.output.input(evt))) return;
    }
    this.output.input(evt);
  }
}
