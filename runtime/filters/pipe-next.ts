import { type Event } from '../engine/event.ts';
import type { PipelineLayout } from '../engine/pipeline.ts';
import { LinkFilter } from './link.ts';

/**
 * `pipeNext()`: inside a plug-in of a chain started by `pipe([...])`, links to the next
 * plug-in; after the last one, events pass through.
 */
export class PipeNext extends LinkFilter {
  clone(): PipeNext {
    return new PipeNext();
  }
  describe(): string {
    return 'pipeNext';
  }
  override expectsTo(): boolean {
    return false;
  }
  protected choose(_evt: Event): readonly PipelineLayout[] | null {
    const p = this.pipeline;
    const chain = p.chain;
    if (!chain || p.chainIndex + 1 >= chain.length) return null;
    return chain.slice(p.chainIndex + 1);
  }
}
