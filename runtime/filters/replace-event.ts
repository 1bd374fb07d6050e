// The replace* filters share one behaviour: events of one kind are swapped for what a
// callback returns (or a fixed value); every other event passes unchanged.

import { type Event, type Kind } from '../engine/event.ts';
import { emit, isPromise } from '../engine/result.ts';
import { CallbackFilter, FAILED } from './callback-filter.ts';

export type Replacement<E = any, C = any> = ((evt: E, ctx: C) => unknown) | object | string | null;

export abstract class ReplaceEvent extends CallbackFilter {
  readonly #kind: Kind;
  protected readonly replacement: Replacement;

  constructor(kind: Kind, replacement: Replacement) {
    super();
    this.#kind = kind;
    this.replacement = replacement;
  }

  protected process(evt: Event): void {
    if (evt.kind !== this.#kind) {
      this.output.input(evt);
      return;
    }
    this.replace(evt);
  }

  /** Emits the replacement of `arg` (an event, or a whole Message for replaceMessage). */
  protected replace(arg: unknown): void {
    const rep = this.replacement;
    if (typeof rep !== 'function') {
      emit(this.output, rep);
      return;
    }
    const r = this.call(rep as (a: unknown, c: unknown) => unknown, arg, this.context);
    if (r === FAILED) return;
    if (isPromise(r) && this.awaitResult(r, (v) => emit(this.output, v))) return; // no closure per event
    emit(this.output, r);
  }
}
