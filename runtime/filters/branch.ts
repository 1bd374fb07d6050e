import { type Event } from '../engine/event.ts';
import type { PipelineLayout } from '../engine/pipeline.ts';
import { LinkFilter } from './link.ts';

export type BranchCondition = ((ctx: any, evt: Event) => unknown) | boolean;

/**
 * `branch(cond1, sub1, cond2, sub2, ..., default?)`: at the first event, links to the
 * sub-pipeline of the first condition that holds, else the default, else passes through.
 */
export class Branch extends LinkFilter {
  readonly #conds: readonly BranchCondition[];
  readonly #fallback: PipelineLayout | null;
  constructor(conds: readonly BranchCondition[], subs: PipelineLayout[], fallback: PipelineLayout | null) {
    super();
    this.#conds = conds;
    this.subs = subs;
    this.#fallback = fallback;
  }
  clone(): Branch {
    return new Branch(this.#conds, this.subs, this.#fallback);
  }
  describe(): string {
    return 'branch';
  }
  override expectsTo(): boolean {
    return false;
  }
  protected choose(evt: Event): PipelineLayout | null {
    const conds = this.#conds;
    for (let i = 0; i < conds.length; i++) {
      const c = conds[i]!;
      if (typeof c === 'function' ? c(this.context, evt) : c) return this.subs[i]!;
    }
    return this.#fallback;
  }
}
