// The closed set of events that flow through pipelines (Pipy's model):
//
//   Data          bytes, as one or more Buffer chunks (views, never copied on the way through)
//   MessageStart  the head of a message (an HTTP request or response head, or any object)
//   MessageEnd    the tail of a message (trailers) and an optional payload
//   StreamEnd     the end of the stream, with an error code ('' for a clean end)
//
// A filter tells them apart by the numeric `kind`, never by class name or string.

export const Kind = { Data: 0, MessageStart: 1, MessageEnd: 2, StreamEnd: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Pipy's StreamEnd error codes; '' is a clean end. */
export const StreamEndCodes = [
  '',
  'Replay',
  'RuntimeError',
  'ReadError',
  'WriteError',
  'CannotResolve',
  'ConnectionAborted',
  'ConnectionReset',
  'ConnectionRefused',
  'ConnectionTimeout',
  'ReadTimeout',
  'WriteTimeout',
  'IdleTimeout',
  'BufferOverflow',
  'ProtocolError',
  'Unauthorized',
] as const;
export type StreamEndCode = (typeof StreamEndCodes)[number];

const EMPTY_CHUNKS: readonly Buffer[] = Object.freeze([]) as readonly Buffer[];

export class Data {
  readonly kind = Kind.Data;
  #chunks: Buffer[];
  #size: number;

  constructor(from?: string | Buffer | Uint8Array | Data | null, encoding?: BufferEncoding) {
    if (from == null) {
      this.#chunks = [];
      this.#size = 0;
    } else if (typeof from === 'string') {
      const b = Buffer.from(from, encoding ?? 'utf8');
      this.#chunks = b.length ? [b] : [];
      this.#size = b.length;
    } else if (from instanceof Data) {
      this.#chunks = from.#chunks.slice();
      this.#size = from.#size;
    } else {
      const b = Buffer.isBuffer(from) ? from : Buffer.from(from.buffer, from.byteOffset, from.byteLength);
      this.#chunks = b.length ? [b] : [];
      this.#size = b.length;
    }
  }

  /** Wraps a buffer the caller gives up ownership of, without copying. */
  static of(buf: Buffer): Data {
    const d = new Data();
    // A one-element literal: push() onto the constructor's empty array would allocate room
    // for 17 (V8's first growth), and a Data is made per read and per encoded piece.
    if (buf.length) {
      d.#chunks = [buf];
      d.#size = buf.length;
    }
    return d;
  }

  static isData(v: unknown): v is Data {
    return v instanceof Data;
  }

  get size(): number {
    return this.#size;
  }

  get chunks(): readonly Buffer[] {
    return this.#size ? this.#chunks : EMPTY_CHUNKS;
  }

  /** Appends bytes (no copy of Buffers or Data chunks). */
  push(more: Data | Buffer | string): this {
    if (typeof more === 'string') more = Buffer.from(more);
    if (more instanceof Data) {
      for (const c of more.#chunks) this.#chunks.push(c);
      this.#size += more.#size;
    } else if (more.length) {
      this.#chunks.push(more);
      this.#size += more.length;
    }
    return this;
  }

  /** Removes and returns the first `n` bytes. */
  shift(n: number): Data {
    const out = new Data();
    while (n > 0 && this.#chunks.length) {
      const c = this.#chunks[0]!;
      if (c.length <= n) {
        out.push(c);
        this.#chunks.shift();
        this.#size -= c.length;
        n -= c.length;
      } else {
        out.push(c.subarray(0, n));
        this.#chunks[0] = c.subarray(n);
        this.#size -= n;
        n = 0;
      }
    }
    return out;
  }

  /** One contiguous Buffer; copies only when there is more than one chunk. */
  toBuffer(): Buffer {
    const c = this.#chunks;
    if (c.length === 0) return Buffer.alloc(0);
    if (c.length === 1) return c[0]!;
    const b = Buffer.concat(c, this.#size);
    this.#chunks = [b];
    return b;
  }

  toString(encoding: BufferEncoding = 'utf8'): string {
    return this.toBuffer().toString(encoding);
  }
}

/** Head of a message: an HTTP head for the HTTP filters, any object otherwise. */
export type Head = object;
export type Tail = Record<string, string> | null;

export class MessageStart<H extends Head = Head> {
  readonly kind = Kind.MessageStart;
  head: H;
  /**
   * Body length when known ahead (a whole Message, or a decoded Content-Length), -1 when it is
   * streamed without a known length. Encoders use it for framing instead of trusting a header
   * a script may have left stale.
   */
  length: number;
  constructor(head?: H, length = -1) {
    this.head = (head ?? {}) as H;
    this.length = length;
  }
}

export class MessageEnd {
  readonly kind = Kind.MessageEnd;
  tail: Tail;
  payload: unknown;
  constructor(tail: Tail = null, payload?: unknown) {
    this.tail = tail;
    this.payload = payload;
  }
}

export class StreamEnd {
  readonly kind = Kind.StreamEnd;
  readonly error: StreamEndCode;
  readonly message: string;
  constructor(error: StreamEndCode = '', message = '') {
    this.error = error;
    this.message = message;
  }
  static readonly OK = new StreamEnd();
}

export type Event = Data | MessageStart | MessageEnd | StreamEnd;

export function isEvent(v: unknown): v is Event {
  return v instanceof Data || v instanceof MessageStart || v instanceof MessageEnd || v instanceof StreamEnd;
}

/** A whole message: head, body and tail together (a container, not an event). */
export class Message<H extends Head = Head> {
  head: H;
  body: Data;
  tail: Tail;
  constructor(head?: H | string | Data | Buffer | null, body?: string | Data | Buffer | null, tail: Tail = null) {
    // Pipy's `new Message('text')`: a lone string/Data argument is the body.
    if (typeof head === 'string' || head instanceof Data || Buffer.isBuffer(head)) {
      body = head;
      head = undefined;
    }
    this.head = (head ?? {}) as H;
    this.body = body == null ? new Data() : body instanceof Data ? body : new Data(body);
    this.tail = tail;
  }

  static isMessage(v: unknown): v is Message {
    return v instanceof Message;
  }
}
