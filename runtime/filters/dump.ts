import { Kind, type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';

/** `dump(tag?)`: prints each event to stderr (for debugging scripts) and passes it on. */
export class Dump extends Filter {
  readonly #tag: string;
  constructor(tag: string) {
    super();
    this.#tag = tag;
  }
  clone(): Dump {
    return new Dump(this.#tag);
  }
  describe(): string {
    return 'dump';
  }
  input(evt: Event): void {
    process.stderr.write(`[dump${this.#tag ? ' ' + this.#tag : ''}] ${describeEvent(evt)}\n`);
    this.output.input(evt);
  }
}

export function describeEvent(evt: Event): string {
  switch (evt.kind) {
    case Kind.Data: {
      const s = evt.toString('latin1');
      const shown = s.length > 200 ? s.slice(0, 200) + '…' : s;
      return `Data(${evt.size}) ${JSON.stringify(shown)}`;
    }
    case Kind.MessageStart:
      return `MessageStart ${JSON.stringify(evt.head)}`;
    case Kind.MessageEnd:
      return `MessageEnd ${evt.tail ? JSON.stringify(evt.tail) : ''}`;
    case Kind.StreamEnd:
      return `StreamEnd ${evt.error || 'ok'}${evt.message ? ' ' + evt.message : ''}`;
  }
}
