// `detectProtocol(callback)`: looks at the first bytes of a stream and calls
// `callback(protocol, ctx)` once, with 'HTTP', 'TLS' or '' (anything else), as soon as it can tell:
//
//   TLS   a handshake record: content type 0x16, then version major 0x03 (RFC 8446 §5.1;
//         SSL 3.0 to TLS 1.3 all put 0x03 there). Decided at the 2nd byte.
//   HTTP  a method token of 1-15 upper-case letters (or '-', '_') and a space: `GET `,
//         `CONNECT `, `PROPPATCH `, and HTTP/2's preface `PRI * HTTP/2.0`. Decided at the space,
//         so at most 16 bytes are ever looked at.
//   ''    the first byte that fits neither, or a stream that ends before a decision.
//
// Events pass through unchanged, but the few before the decision are held back until the
// callback has run, so a filter after this one (branch, pipe) sees the verdict at its first
// event. At most DETECT_WINDOW bytes are held: the callback always runs by then.

import { Kind, type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import { counters } from '../admin/counters.ts';

export type DetectedProtocol = 'HTTP' | 'TLS' | '';
export type DetectCallback = (protocol: DetectedProtocol, ctx: any) => unknown;

/** Most bytes inspected (and held) before the verdict. */
export const DETECT_WINDOW = 16;

/** Method token characters accepted while detecting (upper-case, as registered methods are). */
function isMethodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f;
}

export class DetectProtocol extends Filter {
  readonly #cb: DetectCallback;
  #seen = 0;
  #first = -1;
  #decided = false;
  #dead = false;
  #held: Event[] | null = null;

  constructor(cb: DetectCallback) {
    super();
    this.#cb = cb;
  }

  clone(): DetectProtocol {
    return new DetectProtocol(this.#cb);
  }

  describe(): string {
    return 'detectProtocol';
  }

  input(evt: Event): void {
    if (this.#dead) return;
    if (this.#decided) {
      this.output.input(evt);
      return;
    }
    if (evt.kind === Kind.Data) {
      const verdict = this.#scan(evt.chunks);
      if (verdict === null) {
        (this.#held ??= []).push(evt);
        return;
      }
      this.#decide(verdict, evt);
    } else if (evt.kind === Kind.StreamEnd) {
      this.#decide('', evt);
    } else (this.#held ??= []).push(evt);
  }

  /** Feeds bytes; returns the verdict once known, else null. */
  #scan(chunks: readonly Buffer[]): DetectedProtocol | null {
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      for (let j = 0; j < c.length; j++) {
        const b = c[j]!;
        const n = this.#seen++;
        if (n === 0) {
          this.#first = b;
          if (b !== 0x16 && !isMethodChar(b)) return '';
          continue;
        }
        if (this.#first === 0x16) return b === 0x03 ? 'TLS' : '';
        if (b === 0x20) return 'HTTP';
        if (!isMethodChar(b) || n + 1 >= DETECT_WINDOW) return '';
      }
    }
    return null;
  }

  #decide(protocol: DetectedProtocol, evt: Event): void {
    this.#decided = true;
    try {
      this.#cb(protocol, this.context);
    } catch (err) {
      counters.scriptErrors++;
      this.#dead = true;
      this.#held = null;
      this.scriptError(err);
      return;
    }
    const held = this.#held;
    this.#held = null;
    if (held !== null) for (let i = 0; i < held.length; i++) this.output.input(held[i]!);
    this.output.input(evt);
  }

  override shutdown(): void {
    this.#held = null;
  }
}
