import { Data, Message, isEvent, type Event } from '../engine/event.ts';

/** Events a script may give: an event, a Message, text or bytes (as Data), nothing, or an array of those. */
export type Insertable = Event | Message | string | Buffer | null | undefined | void | readonly Insertable[];
import { Filter } from '../engine/filter.ts';
import { emit, isPromise } from '../engine/result.ts';
import { dispatch } from '../net/flow.ts';
import { counters } from '../admin/counters.ts';

export type InsertSource = unknown | ((ctx: any) => unknown);

/**
 * `insert(events | ctx => events)` (Pipy's insert): at the stream's first event, outputs the
 * given events (an event, a Message, a string or Buffer as Data, or an array of them) ahead of
 * it. When the function returns a promise the stream is not held: its events pass on, and
 * the resolved events are output whenever the promise settles (Pipy: out-of-band insertion).
 * Anything else is a RuntimeError.
 */
export class Insert extends Filter {
  readonly #source: InsertSource;
  #inserted = false;
  #dead = false;

  constructor(source: InsertSource) {
    super();
    this.#source = source;
  }
  clone(): Insert {
    return new Insert(this.#source);
  }
  describe(): string {
    return 'insert';
  }

  input(evt: Event): void {
    if (this.#dead) return;
    if (!this.#inserted) {
      this.#inserted = true;
      let v = this.#source;
      if (typeof v === 'function') {
        try {
          v = (v as (ctx: any) => unknown)(this.context);
        } catch (err) {
          counters.scriptErrors++;
          this.#dead = true;
          this.scriptError(err);
          return;
        }
      }
      if (isPromise(v)) {
        v.then(
          (r) => dispatch(null, this, this.#resolved, r),
          (e) => dispatch(null, this, this.#rejected, e),
        );
      } else if (!this.#emit(v)) return;
    }
    this.output.input(evt);
  }

  #emit(v: unknown): boolean {
    if (!insertable(v)) {
      this.#dead = true;
      this.error('RuntimeError', 'insert: not an event, a Message or an array of those');
      return false;
    }
    emit(this.output, v);
    return true;
  }

  #resolved(v: unknown): void {
    if (this.#dead || this.pipeline.ended) return;
    this.#emit(v);
  }

  #rejected(e: unknown): void {
    if (this.#dead || this.pipeline.ended) return;
    counters.scriptErrors++;
    this.#dead = true;
    this.scriptError(e);
  }

  override shutdown(): void {
    this.#dead = true;
  }
}

/** What a callback may give as events: an event, a Message, a string/Buffer (Data), nullish, or an array of those. */
export function insertable(v: unknown): boolean {
  if (v == null || typeof v === 'string' || Buffer.isBuffer(v) || v instanceof Message || v instanceof Data || isEvent(v)) return true;
  if (Array.isArray(v)) return v.every(insertable);
  return false;
}
