// What script callbacks may return, turned into events: an event, a Message, an array of
// them, or nothing. Promises are handled by the filters (see CallbackFilter).

import { Data, Message, MessageEnd, MessageStart, type Event } from './event.ts';
import type { EventTarget } from './filter.ts';

export type Emittable = Event | Message | null | undefined | void | readonly (Event | Message | null | undefined)[];

export function emitMessage(out: EventTarget, m: Message): void {
  const body = m.body;
  out.input(new MessageStart(m.head, body.size));
  if (body.size > 0) out.input(body);
  out.input(new MessageEnd(m.tail));
}

export function emit(out: EventTarget, r: unknown): void {
  if (r == null) return;
  if (r instanceof Message) emitMessage(out, r);
  else if (Array.isArray(r)) for (const x of r) emit(out, x);
  else if (typeof r === 'string' || Buffer.isBuffer(r)) out.input(new Data(r));
  else out.input(r as Event);
}

export function isPromise(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}
