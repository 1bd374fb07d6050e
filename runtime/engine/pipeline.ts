// PipelineLayout is compiled once from a script; Pipeline is its per-stream instance.
//
//   layout.instantiate(context, output)
//        |
//        v
//   Pipeline.input(evt) -> filters[0] -> filters[1] -> ... -> Tail -> output.input(evt)
//
// The three ways a joint filter uses sub-pipelines (Pipy's terms):
//   link  one sub-pipeline for the stream, its output is the filter's output (pipe, connect-ish)
//   demux one sub-pipeline per message; outputs re-ordered to match inputs (demuxHTTP, fork)
//   mux   many streams merged onto one shared session picked by a key (muxHTTP)

import type { Event } from './event.ts';
import { DISCARD, Filter, type EventTarget } from './filter.ts';

let nextLayoutId = 1;

export class PipelineLayout<C extends object = any> {
  readonly id = nextLayoutId++;
  readonly name: string;
  readonly filters: Filter[] = [];
  /** Creates the per-stream context of a root layout (listeners, pipeline()s started by the engine). */
  contextFactory: (() => C) | null = null;
  #live = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Number of live instances (for the status page and leak tests). */
  get live(): number {
    return this.#live;
  }

  newContext(): C {
    return this.contextFactory ? this.contextFactory() : ({} as C);
  }

  instantiate(context: C, output: EventTarget = DISCARD): Pipeline<C> {
    this.#live++;
    return new Pipeline(this, context, output);
  }

  /** Called by Pipeline.shutdown. */
  released(): void {
    this.#live--;
  }
}

class Tail implements EventTarget {
  readonly #p: Pipeline;
  constructor(p: Pipeline) {
    this.#p = p;
  }
  input(evt: Event): void {
    this.#p.output.input(evt);
  }
}

export class Pipeline<C extends object = any> implements EventTarget {
  readonly layout: PipelineLayout<C>;
  readonly context: C;
  /** Where the last filter's events go; the owner may re-point it. */
  output: EventTarget;
  readonly #filters: Filter[];
  readonly #head: EventTarget;
  #ended = false;
  /** The plug-in chain this instance belongs to (`pipe([...])`), for `pipeNext()`. */
  chain: readonly PipelineLayout[] | null = null;
  chainIndex = 0;

  constructor(layout: PipelineLayout<C>, context: C, output: EventTarget) {
    this.layout = layout;
    this.context = context;
    this.output = output;
    const protos = layout.filters;
    const n = protos.length;
    const filters = new Array<Filter>(n);
    for (let i = 0; i < n; i++) {
      const f = protos[i]!.clone();
      f.pipeline = this;
      filters[i] = f;
    }
    const tail = new Tail(this);
    for (let i = 0; i < n; i++) filters[i]!.output = i + 1 < n ? filters[i + 1]! : tail;
    this.#filters = filters;
    this.#head = n > 0 ? filters[0]! : tail;
  }

  input(evt: Event): void {
    this.#head.input(evt);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Ends the instance: every filter releases what it holds. Idempotent. */
  shutdown(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Events a filter emits while shutting down have nowhere to go.
    this.output = DISCARD;
    for (const f of this.#filters) f.shutdown();
    this.layout.released();
  }
}
