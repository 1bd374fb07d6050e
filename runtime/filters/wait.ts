import { type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import { isPromise } from '../engine/result.ts';
import { dispatch } from '../net/flow.ts';
import { counters } from '../admin/counters.ts';

export interface WaitOptions {
  /** Let the events go after this long anyway (default: never). Durations: seconds, or '5s', '100ms'. */
  timeout?: number | string;
  /** Re-check the condition this often while holding (default 0.1 s; 0: only at new events). */
  interval?: number | string;
}

export interface WaitConfig {
  readonly condition: (ctx: any) => unknown;
  /** ms after the first held event when events are let go anyway (Pipy); 0: never. */
  readonly timeout: number;
  /** ms between re-checks of the condition while events are held; 0: only on new events. */
  readonly interval: number;
}

const CHECKING: number = 0;
const AWAITING: number = 1;
const OPEN: number = 2;
const DEAD: number = 3;

/**
 * `wait(condition, { timeout, interval })` (Pipy's wait): holds the stream's events until
 * `condition(ctx)` is truthy, then lets them all through and stops checking. The condition is
 * checked at each event, and (unlike Pipy, which has no other trigger) every `interval` while
 * events are held, so a condition flipped elsewhere releases a stream that sends nothing more.
 * A returned promise is waited for instead (fulfilled: open; rejected: RuntimeError). At
 * `timeout` the events are let go as if the condition held, as in Pipy.
 */
export class Wait extends Filter {
  readonly config: WaitConfig;
  #state = CHECKING as number;
  #held: Event[] | null = null;
  #deadline = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(config: WaitConfig) {
    super();
    this.config = config;
  }
  clone(): Wait {
    return new Wait(this.config);
  }
  describe(): string {
    return 'wait';
  }

  input(evt: Event): void {
    if (this.#state === DEAD) return;
    if (this.#state === OPEN) {
      this.output.input(evt);
      return;
    }
    if (this.#state === CHECKING) {
      const r = this.#check();
      if (r === null) return;
      if (r) {
        this.#open();
        if (this.#state === OPEN) this.output.input(evt);
        return;
      }
    }
    if (this.#held === null) {
      this.#held = [];
      if (this.config.timeout > 0) this.#deadline = performance.now() + this.config.timeout;
      this.#arm();
    }
    this.#held.push(evt);
  }

  /** true: open; false: keep holding; null: the stream failed. */
  #check(): boolean | null {
    let r: unknown;
    try {
      r = this.config.condition(this.context);
    } catch (err) {
      this.#fail(err);
      return null;
    }
    if (isPromise(r)) {
      this.#state = AWAITING;
      r.then(
        () => dispatch(null, this, this.#settled, true),
        (e) => dispatch(null, this, this.#settled, e),
      );
      return false;
    }
    return !!r;
  }

  #settled(ok: unknown): void {
    if (this.#state !== AWAITING || this.pipeline.ended) return;
    if (ok === true) this.#open();
    else this.#fail(ok);
  }

  #fail(err: unknown): void {
    counters.scriptErrors++;
    this.#stop();
    this.#state = DEAD;
    this.#held = null;
    this.scriptError(err);
  }

  #open(): void {
    this.#stop();
    this.#state = OPEN;
    const held = this.#held;
    this.#held = null;
    if (held) for (let i = 0; i < held.length; i++) this.output.input(held[i]!);
  }

  #arm(): void {
    const { interval, timeout } = this.config;
    let ms = interval > 0 && this.#state === CHECKING ? interval : 0;
    if (timeout > 0) {
      const left = Math.max(0, this.#deadline - performance.now());
      ms = ms > 0 ? Math.min(ms, left) : left;
      if (ms === 0) ms = 1;
    }
    if (ms > 0) this.#timer = setTimeout(onTick, ms, this);
  }

  tick(): void {
    this.#timer = null;
    if (this.#state >= OPEN || this.pipeline.ended) return;
    if (this.config.timeout > 0 && performance.now() >= this.#deadline - 0.5) {
      this.#open();
      return;
    }
    if (this.#state === CHECKING) {
      const r = this.#check();
      if (r === null) return;
      if (r) {
        this.#open();
        return;
      }
    }
    this.#arm();
  }

  #stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  override shutdown(): void {
    this.#stop();
    this.#held = null;
    this.#state = DEAD;
  }
}

function onTick(w: Wait): void {
  dispatch(null, w, w.tick, undefined);
}
