// Shared machinery of filters that run script callbacks: exceptions become RuntimeError, and
// a callback that returns a promise holds this filter's later events, in order, until it
// settles. The hold is per stream; nothing else waits.

import { type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import { isPromise } from '../engine/result.ts';
import { dispatch } from '../net/flow.ts';
import { counters } from '../admin/counters.ts';

export const FAILED: unique symbol = Symbol('sluice.failed');

export abstract class CallbackFilter extends Filter {
  #held: Event[] | null = null;
  #dead = false;

  input(evt: Event): void {
    if (this.#dead) return;
    if (this.#held !== null) {
      this.#held.push(evt);
      return;
    }
    this.process(evt);
  }

  /** The filter's own handling of one event (never called while a promise is pending). */
  protected abstract process(evt: Event): void;

  /** Runs a script callback; on a throw reports it, ends the stream and returns FAILED. */
  protected call<A, B, R>(fn: (a: A, b: B) => R, a: A, b: B): R | typeof FAILED {
    try {
      return fn(a, b);
    } catch (err) {
      this.fail(err);
      return FAILED;
    }
  }

  protected fail(err: unknown): void {
    counters.scriptErrors++;
    this.#dead = true;
    this.#held = null;
    this.scriptError(err);
  }

  /**
   * If `r` is a promise, holds later events until it settles, then calls `then(value)` and
   * replays the held events. Returns true when it held.
   */
  protected awaitResult(r: unknown, then: (value: unknown) => void): boolean {
    if (!isPromise(r)) return false;
    this.#held = [];
    r.then(
      (v) => dispatch(null, this, this.#settled, { ok: true, v, then }),
      (e) => dispatch(null, this, this.#settled, { ok: false, v: e, then }),
    );
    return true;
  }

  #settled(s: { ok: boolean; v: unknown; then: (value: unknown) => void }): void {
    if (this.#dead || this.pipeline.ended) return;
    if (!s.ok) {
      this.fail(s.v);
      return;
    }
    const held = this.#held ?? [];
    this.#held = null;
    s.then(s.v);
    for (let i = 0; i < held.length; i++) {
      const again = this.#held as Event[] | null;
      if (again !== null) {
        // The replayed events started another wait: keep the rest behind it.
        again.push(...held.slice(i));
        return;
      }
      this.input(held[i]!);
    }
  }

  override shutdown(): void {
    this.#dead = true;
    this.#held = null;
  }
}
