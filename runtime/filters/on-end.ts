import { type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import { reportScriptError } from '../engine/script-error.ts';
import { counters } from '../admin/counters.ts';

/**
 * `onEnd(ctx => ...)` (Pipy's PipelineDesigner.onEnd): called once when the pipeline ends
 * (shuts down), for clean-up and logging. Its return value is ignored (Pipy makes it the
 * pipeline's result, which only spawned pipelines read); a throw is logged with its script
 * location, as there is no stream left to end. Events pass through untouched.
 */
export class OnEnd extends Filter {
  readonly #cb: (ctx: any) => unknown;
  constructor(cb: (ctx: any) => unknown) {
    super();
    this.#cb = cb;
  }
  clone(): OnEnd {
    return new OnEnd(this.#cb);
  }
  describe(): string {
    return 'onEnd';
  }
  input(evt: Event): void {
    this.output.input(evt);
  }
  override shutdown(): void {
    try {
      this.#cb(this.context);
    } catch (err) {
      counters.scriptErrors++;
      reportScriptError('onEnd', err);
    }
  }
}
