import { type Event } from '../engine/event.ts';
import type { PipelineLayout } from '../engine/pipeline.ts';
import { LinkFilter } from './link.ts';

export type PipeTarget = PipelineLayout | readonly PipelineLayout[];
export type PipeChooser = (evt: Event, ctx: any) => PipeTarget | null | undefined;

/**
 * `pipe(target)`: links to a sub-pipeline: a layout, a plug-in chain (an array, walked with
 * `pipeNext()`), or a function choosing either at the first event.
 */
export class Pipe extends LinkFilter {
  readonly #target: PipeTarget | PipeChooser;
  constructor(target: PipeTarget | PipeChooser) {
    super();
    this.#target = target;
  }
  clone(): Pipe {
    return new Pipe(this.#target);
  }
  describe(): string {
    return 'pipe';
  }
  override expectsTo(): boolean {
    return false;
  }
  protected choose(evt: Event): PipeTarget | null {
    const t = this.#target;
    if (typeof t === 'function') return (t as PipeChooser)(evt, this.context) ?? null;
    return t;
  }
}
