// The shared body of link filters (pipe, pipeNext, branch): one sub-pipeline for the stream,
// chosen at the first event, sharing the stream's context; its output is this filter's output.

import { type Event } from '../engine/event.ts';
import { JointFilter } from '../engine/filter.ts';
import type { Pipeline, PipelineLayout } from '../engine/pipeline.ts';
import { counters } from '../admin/counters.ts';

export abstract class LinkFilter extends JointFilter {
  #sub: Pipeline | null = null;
  #chosen = false;
  #passThrough = false;

  /** The layout (or plug-in chain) for this stream; null passes events through. */
  protected abstract choose(evt: Event): PipelineLayout | readonly PipelineLayout[] | null;

  input(evt: Event): void {
    if (!this.#chosen) {
      this.#chosen = true;
      let target: PipelineLayout | readonly PipelineLayout[] | null;
      try {
        target = this.choose(evt);
      } catch (err) {
        counters.scriptErrors++;
        this.scriptError(err);
        this.#passThrough = false;
        return;
      }
      if (target === null || (Array.isArray(target) && target.length === 0)) this.#passThrough = true;
      else if (Array.isArray(target)) {
        const p = target[0]!.instantiate(this.context, this.output);
        p.chain = target;
        p.chainIndex = 0;
        this.#sub = p;
      } else {
        const p = (target as PipelineLayout).instantiate(this.context, this.output);
        // A branch (or pipe) inside a plug-in stays in its chain, so `pipeNext()` in the
        // sub-pipeline continues with the next plug-in (Pipy's tutorial 07 relies on this).
        const parent = this.pipeline;
        if (parent.chain) {
          p.chain = parent.chain;
          p.chainIndex = parent.chainIndex;
        }
        this.#sub = p;
      }
    }
    if (this.#sub) this.#sub.input(evt);
    else if (this.#passThrough) this.output.input(evt);
  }

  override shutdown(): void {
    this.#sub?.shutdown();
    this.#sub = null;
  }
}

