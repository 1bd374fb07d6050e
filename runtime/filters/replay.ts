// `replay({ delay, maxBufferSize }).to(sub)` (Pipy's replay): a link filter that keeps a copy
// of the stream's input. When the sub-pipeline outputs StreamEnd('Replay'), that instance is
// dropped and, after `delay`, a fresh one is fed the same input from the start: a retry,
// decided inside the sub-pipeline (say, replaceMessage turning a 5xx into
// `new StreamEnd('Replay')`). The sub-pipeline shares the stream's context, as in Pipy, so a
// script can count attempts there; there is no built-in limit.
//
//   input --copy--> buffer                        StreamEnd('Replay')
//     |                |                          +--------------+
//     v                v (after delay)            |              |
//   sub #1 ------> reply() --x                  sub #2 ------> reply() --> output
//
// Unlike Pipy, the copy is bounded: past `maxBufferSize` body bytes it is dropped and the
// stream can no longer be replayed; a later StreamEnd('Replay') then ends the stream as is.

import { Data, Kind, MessageStart, StreamEnd, type Event } from '../engine/event.ts';
import { JointFilter, type EventTarget } from '../engine/filter.ts';
import type { Pipeline } from '../engine/pipeline.ts';
import { dispatch } from '../net/flow.ts';
import { counters } from '../admin/counters.ts';

export interface ReplayOptions<Ctx = any> {
  /** Pause before each replay (default 0): seconds, '100ms', or `ctx => duration`. */
  delay?: number | string | ((ctx: Ctx) => number | string);
  /** Most body bytes kept for replays (default 1m); beyond it the stream cannot be replayed. */
  maxBufferSize?: number | string;
}

export interface ReplayConfig {
  /** ms before a replay starts. */
  readonly delay: number;
  /** Computes the delay per replay (a duration: seconds, or '100ms'); overrides `delay`. */
  readonly delayFn: ((ctx: any) => unknown) | null;
  readonly maxBufferSize: number;
}

/** The output of one sub-pipeline instance; stops forwarding once that instance is retired. */
class Sink implements EventTarget {
  readonly owner: Replay;
  live = true;
  constructor(owner: Replay) {
    this.owner = owner;
  }
  input(evt: Event): void {
    if (this.live) this.owner.reply(this, evt);
  }
}

export class Replay extends JointFilter {
  readonly config: ReplayConfig;
  #sub: Pipeline | null = null;
  #sink: Sink | null = null;
  #buffer: Event[] | null = [];
  #size = 0;
  #timer: NodeJS.Timeout | null = null;
  #waiting = false;
  #ended = false;

  constructor(config: ReplayConfig) {
    super();
    this.config = config;
  }
  clone(): Replay {
    const f = new Replay(this.config);
    f.subs = this.subs;
    return f;
  }
  describe(): string {
    return 'replay';
  }

  /** Replays so far (for tests and logs). */
  replays = 0;

  input(evt: Event): void {
    if (this.#ended) return;
    const buf = this.#buffer;
    if (buf !== null) {
      if (evt.kind === Kind.Data) {
        this.#size += evt.size;
        if (this.#size > this.config.maxBufferSize) {
          this.#buffer = null;
        } else buf.push(new Data(evt));
      } else buf.push(evt.kind === Kind.MessageStart ? new MessageStart(evt.head, evt.length) : evt);
    }
    if (this.#waiting) {
      // Between a StreamEnd('Replay') and the new instance the copy is the only record.
      if (this.#buffer === null) this.#giveUp();
      return;
    }
    if (this.#sub === null) this.#start();
    this.#sub!.input(evt);
  }

  #start(): Pipeline {
    const sink = new Sink(this);
    this.#sink = sink;
    return (this.#sub = this.subs[0]!.instantiate(this.context, sink));
  }

  reply(sink: Sink, evt: Event): void {
    if (evt.kind === Kind.StreamEnd && evt.error === 'Replay' && !this.#ended) {
      if (this.#buffer !== null) {
        sink.live = false;
        this.#schedule();
        return;
      }
      evt = new StreamEnd('Replay', `replay: input over maxBufferSize (${this.config.maxBufferSize} bytes), cannot replay`);
    }
    this.output.input(evt);
  }

  #schedule(): void {
    this.#waiting = true;
    let ms = this.config.delay;
    const fn = this.config.delayFn;
    if (fn !== null) {
      try {
        ms = toMs(fn(this.context));
      } catch (err) {
        counters.scriptErrors++;
        this.#ended = true;
        this.scriptError(err);
        return;
      }
    }
    // Always through a timer: the retired instance is still on the stack (its StreamEnd is
    // being delivered) and is shut down only once that call has returned.
    this.#timer = setTimeout(onTimer, ms, this);
  }

  replay(): void {
    this.#timer = null;
    if (this.#ended || this.pipeline.ended) return;
    this.#waiting = false;
    this.#sub?.shutdown();
    this.#sub = null;
    const buf = this.#buffer;
    if (buf === null) {
      this.#giveUp();
      return;
    }
    this.replays++;
    const sub = this.#start();
    // Each attempt gets its own event objects (a filter may consume a Data by shifting it).
    for (let i = 0; i < buf.length && (this.#sub as Pipeline | null) === sub; i++) {
      const e = buf[i]!;
      sub.input(e.kind === Kind.Data ? new Data(e) : e.kind === Kind.MessageStart ? new MessageStart(e.head, e.length) : e);
    }
  }

  #giveUp(): void {
    this.#ended = true;
    this.error('Replay', `replay: input over maxBufferSize (${this.config.maxBufferSize} bytes), cannot replay`);
  }

  override shutdown(): void {
    this.#ended = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#sink) this.#sink.live = false;
    this.#sub?.shutdown();
    this.#sub = null;
    this.#buffer = null;
  }
}

function onTimer(r: Replay): void {
  dispatch(null, r, r.replay, undefined);
}

/** A delay returned by a script: seconds as a number (as in Pipy), or '100ms', '2s'. */
function toMs(v: unknown): number {
  if (typeof v === 'number' && v >= 0 && Number.isFinite(v)) return v * 1000;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(v);
    if (m) return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
  }
  throw new Error(`replay: delay must be a duration (seconds, or '100ms'), got ${JSON.stringify(v)}`);
}
