import { type Event } from '../engine/event.ts';
import { emit } from '../engine/result.ts';
import { dispatch } from '../net/flow.ts';
import { CallbackFilter, FAILED } from './callback-filter.ts';
import { insertable } from './insert.ts';

export type StartingEvents = unknown | ((ctx: any) => unknown);

/**
 * `onStart(events | ctx => events)` (Pipy's PipelineDesigner.onStart): when the pipeline
 * starts, its starting events (an event, a Message, an array, or what the function returns)
 * enter it ahead of any input. A returned promise holds the input until it settles. As in Pipy
 * it belongs to the pipeline, not to a position: the designer always puts it first.
 *
 * "Starts" means: at the first input, or, for a pipeline given no input yet (an accepted
 * connection whose client waits for the server to speak), once the code that created it has
 * returned (a microtask later).
 */
export class OnStart extends CallbackFilter {
  readonly #events: StartingEvents;
  #started = false;

  constructor(events: StartingEvents) {
    super();
    this.#events = events;
  }
  clone(): OnStart {
    // Only pipelines clone their filters: this is a new instance about to be wired in.
    const f = new OnStart(this.#events);
    pending.push(f);
    if (pending.length === 1) queueMicrotask(startPending);
    return f;
  }
  describe(): string {
    return 'onStart';
  }

  /** The pipeline started with no input. */
  start(): void {
    if (!this.#started && !this.pipeline.ended) this.#fire(null);
  }

  protected process(evt: Event): void {
    if (!this.#started && !this.#fire(evt)) return;
    this.output.input(evt);
  }

  /** Outputs the starting events; false when `evt` must not go out now (held or failed). */
  #fire(evt: Event | null): boolean {
    this.#started = true;
    let v = this.#events;
    if (typeof v === 'function') {
      v = this.call(v as (ctx: any, _: undefined) => unknown, this.context, undefined);
      if (v === FAILED) return false;
    }
    const held = this.awaitResult(v, (r) => {
      if (this.#emit(r) && evt !== null) this.output.input(evt);
    });
    if (held) return false;
    return this.#emit(v);
  }

  #emit(v: unknown): boolean {
    if (!insertable(v)) {
      this.fail(new Error('the starting events are not events, Messages or an array of those (return nothing for none)'));
      return false;
    }
    emit(this.output, v);
    return true;
  }
}

let pending: OnStart[] = [];

function startPending(): void {
  const list = pending;
  pending = [];
  for (const f of list) if (f.pipeline) dispatch(null, f, f.start, undefined);
}
