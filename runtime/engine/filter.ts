// The filter contract (Pipy's lifecycle):
//
//   designer  --new-->  prototype filter (options normalised, sub-pipelines bound)
//   Pipeline  --clone()-->  per-stream instance, chained:   input(evt) ... output.input(evt)
//   Pipeline  --shutdown()-->  timers cancelled, sub-pipelines and sockets released
//
// A filter never throws across its boundary: failures leave as StreamEnd events.
//
//            +-----------+          +-----------+
//   input -->|  filter 0 |--output->|  filter 1 |--output--> pipeline output
//            +-----------+          +-----+-----+
//                                         | sub-pipelines (joint filters)
//                                         v
//                                   +-----------+
//                                   | Pipeline  |
//                                   +-----------+

import { StreamEnd, type Event, type StreamEndCode } from './event.ts';
import type { Pipeline, PipelineLayout } from './pipeline.ts';
import { reportScriptError } from './script-error.ts';

export interface EventTarget {
  input(evt: Event): void;
}

class Discard implements EventTarget {
  input(_evt: Event): void {}
}
export const DISCARD: EventTarget = new Discard();

export abstract class Filter implements EventTarget {
  /** Where this filter's events go: the next filter, or the pipeline's output. */
  output: EventTarget = DISCARD;
  /** The pipeline instance this filter belongs to (set at instantiation). */
  pipeline!: Pipeline;

  abstract input(evt: Event): void;
  /** A fresh per-stream instance sharing the prototype's frozen configuration. */
  abstract clone(): Filter;
  /** The public filter name, as in scripts (`handleMessage`). */
  abstract describe(): string;
  /** Releases timers, sockets and sub-pipelines. Called once, when the pipeline ends. */
  shutdown(): void {}

  get context(): any {
    return this.pipeline.context;
  }

  protected error(code: StreamEndCode, message = ''): void {
    this.output.input(new StreamEnd(code, message));
  }

  /** Reports an exception from a script callback and ends the stream with RuntimeError. */
  protected scriptError(err: unknown): void {
    const msg = reportScriptError(this.describe(), err);
    this.output.input(new StreamEnd('RuntimeError', msg));
  }
}

/** A filter with sub-pipelines, declared by `.to(...)` (or inline, for branch/pipe). */
/** What a joint filter has before `.to()`: shared, so a clone made per stream allocates none. */
const NO_SUBS: PipelineLayout[] = Object.freeze([]) as unknown as PipelineLayout[];

export abstract class JointFilter extends Filter {
  /** Bound at design time (assigned, never pushed to); shared by all clones. */
  subs: PipelineLayout[] = NO_SUBS;
  /** How many sub-pipelines `.to()` must supply (branch and fork take theirs inline). */
  expectsTo(): boolean {
    return true;
  }
}
