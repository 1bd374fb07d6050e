// `fork(init?)` (Pipy's fork): every event of the stream is also fed to one or more
// sub-pipelines whose output is discarded; the stream itself passes through unchanged. For
// mirroring and side logging.
//
//   input --+--------------------------------> output (unchanged)
//           +--> fork 0 --> (discarded)
//           +--> fork 1 --> (discarded)      one per element when init gives an array
//
// Each fork runs with a shallow copy of the stream's context, so what it writes there stays
// its own; an object element of `init` is merged into its copy. As in Pipy, forks see each
// event before the main stream does, and heads are shared, not copied: a fork that must change
// a head should replace it (replaceMessageStart) rather than mutate it.
//
// When the main stream ends first, forks still busy are not cut off mid-exchange (a mirrored
// request should reach its upstream): each is released once it has output a MessageEnd for
// every MessageEnd it was given, or a StreamEnd, and at the latest DETACHED_GRACE_MS later.

import { Data, Kind, MessageStart, type Event } from '../engine/event.ts';
import { JointFilter, type EventTarget } from '../engine/filter.ts';
import type { Pipeline, PipelineLayout } from '../engine/pipeline.ts';
import { counters } from '../admin/counters.ts';
import { dispatch } from '../net/flow.ts';

export type ForkInit = unknown | ((ctx: any) => unknown);

/** Longest a fork may outlive its stream. */
export const DETACHED_GRACE_MS = 10_000;

/** One fork: the sink of its discarded output, counting messages to know when it is idle. */
class Branch implements EventTarget {
  pipeline: Pipeline | null = null;
  given = 0;
  answered = 0;
  ended = false;
  detached = false;
  timer: NodeJS.Timeout | null = null;

  input(evt: Event): void {
    if (evt.kind === Kind.MessageEnd) this.answered++;
    else if (evt.kind === Kind.StreamEnd) this.ended = true;
    else return;
    if (this.detached && this.idle()) setImmediate(release, this);
  }

  idle(): boolean {
    return this.ended || this.answered >= this.given;
  }
}

function release(b: Branch): void {
  dispatch(null, b, releaseNow, undefined);
}

function releaseNow(this: Branch): void {
  const b = this;
  if (b.timer) clearTimeout(b.timer);
  b.timer = null;
  const p = b.pipeline;
  b.pipeline = null;
  p?.shutdown();
}

export class Fork extends JointFilter {
  readonly #init: ForkInit;
  readonly #inline: boolean;
  #branches: Branch[] | null = null;
  #dead = false;

  constructor(init: ForkInit, inline: PipelineLayout | null) {
    super();
    this.#init = init;
    this.#inline = inline !== null;
    if (inline) this.subs = [inline];
  }

  clone(): Fork {
    const f = new Fork(this.#init, null);
    f.subs = this.subs;
    return f;
  }

  describe(): string {
    return 'fork';
  }

  override expectsTo(): boolean {
    return !this.#inline;
  }

  input(evt: Event): void {
    if (this.#dead) return;
    let bs = this.#branches;
    if (bs === null) {
      bs = this.#start();
      if (bs === null) return;
    }
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i]!;
      if (b.ended || b.pipeline === null) continue;
      if (evt.kind === Kind.MessageEnd) b.given++;
      // A fork may consume Data (shift) or re-point a MessageStart: give it its own event
      // objects; the bytes and the head are shared.
      b.pipeline.input(evt.kind === Kind.Data ? new Data(evt) : evt.kind === Kind.MessageStart ? new MessageStart(evt.head, evt.length) : evt);
    }
    this.output.input(evt);
  }

  #start(): Branch[] | null {
    let init = this.#init;
    if (typeof init === 'function') {
      try {
        init = (init as (ctx: any) => unknown)(this.context);
      } catch (err) {
        counters.scriptErrors++;
        this.#dead = true;
        this.scriptError(err);
        return null;
      }
    }
    const inits = Array.isArray(init) ? init : [init];
    const layout = this.subs[0]!;
    const bs: Branch[] = [];
    this.#branches = bs;
    for (const x of inits) {
      const ctx = { ...this.context };
      if (x !== null && typeof x === 'object') Object.assign(ctx, x);
      const b = new Branch();
      bs.push(b);
      b.pipeline = layout.instantiate(ctx, b);
    }
    return bs;
  }

  override shutdown(): void {
    this.#dead = true;
    const bs = this.#branches;
    if (bs === null) return;
    for (const b of bs) {
      if (b.pipeline === null) continue;
      if (b.idle()) {
        releaseNow.call(b);
        continue;
      }
      b.detached = true;
      b.timer = setTimeout(release, DETACHED_GRACE_MS, b);
      b.timer.unref();
    }
  }
}
