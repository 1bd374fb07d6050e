// HTTP/1.1 message decoder (RFC 9112): bytes in, heads / body views / trailers out.
//
//            write(chunk)                                  sink
//   bytes ───────────────► Head ──(CRLFCRLF found)──► onHead(head, length)
//                           │
//             ┌─────────────┼──────────────┬────────────────┐
//             ▼             ▼              ▼                ▼
//          Length       Chunk* states   UntilClose    (no body) onEnd(null)
//        onBody(view)  onBody(view)    onBody(view)
//             │        Trailers ─► onEnd(trailers)
//             └──► onEnd(null) ──► Head again (pipelining), AwaitTunnel or Tunnel
//
// A head is parsed straight from the bytes, in one pass of loops over 256-entry tables
// (chars.ts), which also finds its end. No string is made for a header line: the head keeps a
// view of the bytes and the few offsets the encoder needs (head.ts, Wire); strings are made
// when a script asks. The callers hand over chunks they never reuse (socket reads are copied
// out at their exact size), so a head may keep its view. Bytes are only copied while a head
// or trailer section is split across chunks (the "pending" buffer, bounded by maxHeadSize);
// body bytes are always handed out as views of the caller's chunks.
//
// Every malformed input ends in onError(status, reason) and the decoder goes Dead: a proxy
// must not guess at framing another hop may read differently (request smuggling, RFC 9112
// §11.2), so anything ambiguous is an error rather than a recovery.

import { Conn, Field, RequestHead, ResponseHead, Wire, attachWire, headerOf, latin1Slice, wireOf, type HeadBase, type Headers } from './head.ts';
import type { DecoderSink, Http1Limits, RequestDecoder, ResponseDecoder } from './types.ts';
import { DEFAULT_LIMITS } from './types.ts';
import { COLON, CR, FIELD_VALUE, HEX, HOST, HTAB, LF, SCHEME, SP, TARGET, TOKEN, CHUNK_EXT, isOws, listHas } from './chars.ts';

const State = {
  Head: 0,
  Length: 1,
  ChunkSize: 2, // hex digits of a chunk-size line
  ChunkExt: 3, // after the size: BWS / chunk-ext up to CR
  ChunkSizeLF: 4, // CR seen, LF must follow
  ChunkData: 5,
  ChunkDataCR: 6, // chunk data done, CR must follow
  ChunkDataLF: 7,
  Trailers: 8,
  UntilClose: 9,
  AwaitTunnel: 10,
  Tunnel: 11,
  Dead: 12,
} as const;
type State = (typeof State)[keyof typeof State];

/** RFC 9112 §2.2 says to ignore "at least one" empty line before a request; we allow a few. */
const MAX_LEADING_EMPTY_LINES = 8;
/** Chunk extensions are accepted and ignored, but bounded: they are otherwise free memory/CPU. */
const MAX_CHUNK_EXT = 1024;
/** 2^53: larger sizes cannot be counted exactly in a JS number. */
const MAX_SIZE = Number.MAX_SAFE_INTEGER;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const LF_LF = Buffer.from('\n\n', 'latin1');

/** A head parser's "stopped at a fault, not decided yet" (see #section). */
const DEFER = -2;

// Transfer-Encoding summary while scanning one head.
const TE_NONE = 0;
const TE_CHUNKED = 1; // exactly "chunked", last
const TE_NOT_FINAL = 2; // chunked missing or not last: length unknowable (RFC 9112 §6.3 ¶4)
const TE_UNKNOWN = 3; // other codings, then chunked: we do not implement them (RFC 9112 §6.1)

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function normaliseLimits(limits?: Partial<Http1Limits>): Http1Limits {
  const l = { ...DEFAULT_LIMITS, ...limits };
  if (!(l.maxHeadSize > 0) || !(l.maxHeaders > 0) || !(l.maxBodySize >= 0)) {
    throw new RangeError('http1: invalid limits ' + JSON.stringify(l));
  }
  return l;
}

/**
 * Case-insensitive eqBytes for lowercase `lit` made of letters and '-': `| 0x20` lowercases
 * A-Z, and no other tchar turns into a letter or '-' that way (the name is a valid token).
 */
function eqBytesLower(b: Buffer, at: number, lit: string): boolean {
  const n = lit.length;
  for (let i = 0; i < n; i++) if ((b[at + i]! | 0x20) !== lit.charCodeAt(i)) return false;
  return true;
}

/** buf[at...] starts with `lit` (a loop V8 inlines, unlike a native call per compare). */
function eqBytes(b: Buffer, at: number, lit: string): boolean {
  const n = lit.length;
  for (let i = 0; i < n; i++) if (b[at + i] !== lit.charCodeAt(i)) return false;
  return true;
}

/** Common method names, returned as constants so a request allocates no method string. */
function internMethod(b: Buffer, p: number, n: number): string {
  switch (n) {
    case 3:
      if (eqBytes(b, p, 'GET')) return 'GET';
      if (eqBytes(b, p, 'PUT')) return 'PUT';
      break;
    case 4:
      if (eqBytes(b, p, 'POST')) return 'POST';
      if (eqBytes(b, p, 'HEAD')) return 'HEAD';
      break;
    case 5:
      if (eqBytes(b, p, 'PATCH')) return 'PATCH';
      break;
    case 6:
      if (eqBytes(b, p, 'DELETE')) return 'DELETE';
      break;
    case 7:
      if (eqBytes(b, p, 'OPTIONS')) return 'OPTIONS';
      if (eqBytes(b, p, 'CONNECT')) return 'CONNECT';
      break;
  }
  return latin1Slice.call(b, p, p + n);
}

/** One element of a comma-separated field value (RFC 9110 §5.6.1), OWS trimmed. */
interface ListElement {
  start: number;
  end: number;
  /** Where the next element begins; past the value's end after the last one. */
  next: number;
}
// The decoder is not re-entrant, so one element record serves every list it walks.
const element: ListElement = { start: 0, end: 0, next: 0 };

/** The element of the list value buf[.., end) that begins at `from` (empty when start === end). */
function listElement(buf: Buffer, from: number, end: number): ListElement {
  let to = from;
  while (to < end && buf[to] !== 0x2c) to++;
  let a = from;
  let b = to;
  while (a < b && isOws(buf[a]!)) a++;
  while (b > a && isOws(buf[b - 1]!)) b--;
  element.start = a;
  element.end = b;
  element.next = to + 1;
  return element;
}

/**
 * The Conn flags of one Connection value buf[from, end): its comma-separated elements
 * (RFC 9110 §5.6.1), OWS trimmed, empty ones ignored, ASCII case ignored (as listHas()).
 */
function connectionFlags(buf: Buffer, from: number, end: number): number {
  let flags: number = Conn.Present;
  for (;;) {
    const e = listElement(buf, from, end);
    const a = e.start;
    const n = e.end - a;
    // eqBytesLower is exact here: a field value holds no CR, the one other byte that
    // `| 0x20` turns into '-'.
    if (n === 10 && eqBytesLower(buf, a, 'keep-alive')) flags |= Conn.KeepAlive;
    else if (n === 5 && eqBytesLower(buf, a, 'close')) flags |= Conn.Close;
    else if (n === 7 && eqBytesLower(buf, a, 'upgrade')) flags |= Conn.Upgrade;
    else if (n > 0) flags |= Conn.Other;
    if (e.next > end) return flags;
    from = e.next;
  }
}

/**
 * How far into an incomplete head a bare LF ending it ("\n\n") is looked for: a client
 * speaking LF-only HTTP is told at once instead of waiting for a CRLFCRLF.
 */
const WINDOW = 4096;

/**
 * One class decodes both directions (a flag picks the start-line grammar and the framing
 * rules), so the hot loop sees one hidden class. The factories below expose it through the
 * narrower RequestDecoder / ResponseDecoder interfaces.
 */
class Http1Decoder<H extends RequestHead | ResponseHead> implements RequestDecoder, ResponseDecoder {
  readonly #sink: DecoderSink<H>;
  readonly #isRequest: boolean;
  readonly #maxHeadSize: number;
  readonly #maxHeaders: number;
  readonly #maxBodySize: number;
  /** Error status for this direction: what we answer (requests) or 502 (a bad upstream). */
  readonly #badMessage: number;

  #state: State = State.Head;
  #running = false;
  #eof = false;

  // The first fault an optimistic head parse stopped at (see #section).
  #errStatus = 0;
  #errReason = '';

  // A head or trailer section split across chunks. Bytes from the section start only.
  #pend: Buffer | null = null;
  #pendLen = 0;
  #emptyLines = 0;

  // Body progress.
  #remaining = 0; // Length: bytes left; ChunkSize/ChunkData: current chunk size / bytes left
  #bodySize = 0; // bytes delivered so far (maxBodySize)
  #extLen = 0;
  #sawDigit = false;

  // Framing facts picked out while scanning a head; reset per head.
  #contentLength = -1;
  #spec: number[] | null = null; // Wire.spec of the head being parsed
  #fieldsEnd = 0; // where the field lines end (the empty line's CR)
  #trailerRaw: string[] | null = null; // trailer lines while parsing them
  #te = TE_NONE;
  #teSeen = false;
  #teCodings = 0;
  #teChunked = 0;
  #teLastChunked = false;
  #hosts = 0;
  #conn = 0; // Conn flags of the Connection / Upgrade lines
  #tunnelNext = false; // this message, once complete, turns the stream into a tunnel

  // Upgrade / CONNECT: requests only.
  #held: Buffer[] = [];
  #queue: Buffer[] = []; // write() calls made from inside sink callbacks

  // Response side: methods of the requests in flight (FIFO).
  // A ring (power-of-two size) so that steady request/response traffic allocates nothing.
  #methods: string[] = ['', '', '', '', '', '', '', ''];
  #methodsHead = 0;
  #methodsSize = 0;

  constructor(sink: DecoderSink<H>, isRequest: boolean, limits?: Partial<Http1Limits>) {
    const l = normaliseLimits(limits);
    this.#sink = sink;
    this.#isRequest = isRequest;
    this.#maxHeadSize = l.maxHeadSize;
    this.#maxHeaders = l.maxHeaders;
    this.#maxBodySize = l.maxBodySize;
    this.#badMessage = isRequest ? 400 : 502;
  }

  get awaitingTunnel(): boolean {
    return this.#state === State.AwaitTunnel;
  }

  expect(method: string): void {
    let ring = this.#methods;
    if (this.#methodsSize === ring.length) {
      const grown: string[] = [];
      for (let i = 0; i < ring.length; i++) grown.push(ring[(this.#methodsHead + i) & (ring.length - 1)]!);
      for (let i = ring.length; i < ring.length * 2; i++) grown.push('');
      this.#methods = ring = grown;
      this.#methodsHead = 0;
    }
    ring[(this.#methodsHead + this.#methodsSize++) & (ring.length - 1)] = method;
  }

  write(chunk: Buffer): void {
    if (this.#running) {
      // write() from inside a sink callback: after the current chunk, in order.
      this.#queue.push(chunk);
      return;
    }
    this.#running = true;
    try {
      this.#write(chunk);
      while (this.#queue.length) this.#write(this.#queue.shift()!);
    } finally {
      this.#running = false;
      if (this.#queue.length !== 0) this.#queue.length = 0;
    }
    if (this.#held.length && this.#state !== State.AwaitTunnel) this.#drainHeld();
  }

  #write(chunk: Buffer): void {
    const state = this.#state;
    if (state === State.Tunnel) {
      if (chunk.length) this.#sink.onTunnel(chunk);
      return;
    }
    if (state === State.Dead || this.#eof || chunk.length === 0) return;
    if (state === State.AwaitTunnel) {
      this.#held.push(chunk); // until acceptTunnel
      return;
    }
    if (this.#pendLen > 0) this.#resume(chunk);
    else this.#run(chunk, 0);
  }

  end(): void {
    if (this.#eof || this.#state === State.Dead) return;
    this.#eof = true;
    switch (this.#state) {
      case State.Head:
        if (this.#pendLen > 0) this.#fail(this.#badMessage, 'connection closed mid-message');
        return;
      case State.UntilClose:
        this.#state = State.Head;
        this.#sink.onEnd(null);
        return;
      case State.AwaitTunnel: // decided by acceptTunnel
      case State.Tunnel: // the owner sees the stream end itself
        return;
      default:
        this.#fail(this.#badMessage, 'connection closed mid-message');
    }
  }

  acceptTunnel(accepted: boolean): void {
    if (this.#state !== State.AwaitTunnel) return;
    this.#state = accepted ? State.Tunnel : State.Head;
    // Inside a callback the running loop delivers the rest of its chunk in the new state.
    if (!this.#running) this.#drainHeld();
  }

  #drainHeld(): void {
    const eof = this.#eof;
    this.#eof = false;
    while (this.#held.length && this.#state !== State.AwaitTunnel && this.#state !== State.Dead) {
      const b = this.#held.shift()!;
      this.write(b);
    }
    this.#eof ||= eof;
    if (eof && this.#held.length === 0 && this.#state !== State.AwaitTunnel) {
      this.#eof = false;
      this.end();
    }
  }

  #fail(status: number, reason: string): void {
    this.#state = State.Dead;
    this.#pend = null;
    this.#pendLen = 0;
    this.#held.length = 0;
    this.#sink.onError(status, reason);
  }

  /** The main loop: consumes `buf` from `pos` according to the state. */
  #run(buf: Buffer, pos: number): void {
    const len = buf.length;
    while (pos < len) {
      switch (this.#state) {
        case State.Head:
        case State.Trailers: {
          const next = this.#section(buf, pos, false);
          if (next < 0) return;
          pos = next;
          break;
        }
        case State.Length: {
          const n = Math.min(this.#remaining, len - pos);
          this.#remaining -= n;
          this.#sink.onBody(n === len ? buf : buf.subarray(pos, pos + n)); // a whole chunk: as is
          pos += n;
          if (this.#remaining === 0) this.#complete(null);
          break;
        }
        case State.UntilClose:
          if (!this.#countBody(len - pos)) return;
          this.#sink.onBody(pos === 0 ? buf : buf.subarray(pos));
          return;
        case State.ChunkData: {
          const n = Math.min(this.#remaining, len - pos);
          this.#remaining -= n;
          this.#sink.onBody(n === len ? buf : buf.subarray(pos, pos + n)); // a whole chunk: as is
          pos += n;
          if (this.#remaining === 0) this.#state = State.ChunkDataCR;
          break;
        }
        case State.ChunkSize:
        case State.ChunkExt:
        case State.ChunkSizeLF:
        case State.ChunkDataCR:
        case State.ChunkDataLF:
          pos = this.#chunkFraming(buf, pos);
          break;
        case State.AwaitTunnel:
          this.#held.push(buf.subarray(pos));
          return;
        case State.Tunnel:
          this.#sink.onTunnel(pos === 0 ? buf : buf.subarray(pos));
          return;
        default: // Dead
          return;
      }
    }
  }

  /** Counts body bytes against maxBodySize (413). */
  #countBody(n: number): boolean {
    this.#bodySize += n;
    if (this.#maxBodySize > 0 && this.#bodySize > this.#maxBodySize) {
      this.#fail(this.#isRequest ? 413 : 502, 'body too large');
      return false;
    }
    return true;
  }

  /**
   * Chunked framing (RFC 9112 §7.1), a byte at a time: these lines are a few bytes per chunk.
   * Returns the new position; on error the state is Dead and the loop stops.
   */
  #chunkFraming(buf: Buffer, pos: number): number {
    const len = buf.length;
    while (pos < len) {
      const c = buf[pos]!;
      switch (this.#state) {
        case State.ChunkSize: {
          const d = HEX[c]!;
          if (d >= 0) {
            const v = this.#remaining * 16 + d;
            if (v > MAX_SIZE) return this.#chunkError('chunk size too large');
            this.#remaining = v;
            this.#sawDigit = true;
            pos++;
            continue;
          }
          if (!this.#sawDigit) return this.#chunkError('bad chunk size');
          if (c === CR) this.#state = State.ChunkSizeLF;
          else if (c === 0x3b || isOws(c)) this.#state = State.ChunkExt; // ';' or BWS before it
          else return this.#chunkError(c === LF ? 'bare LF' : 'bad chunk size');
          pos++;
          continue;
        }
        case State.ChunkExt:
          if (c === CR) this.#state = State.ChunkSizeLF;
          else if (CHUNK_EXT[c] !== 1) return this.#chunkError(c === LF ? 'bare LF' : 'bad chunk extension');
          else if (++this.#extLen > MAX_CHUNK_EXT) return this.#chunkError('chunk extension too long');
          pos++;
          continue;
        case State.ChunkSizeLF: {
          if (c !== LF) return this.#chunkError('bare CR');
          pos++;
          const size = this.#remaining;
          if (size === 0) {
            this.#state = State.Trailers;
            return pos;
          }
          if (!this.#countBody(size)) return len;
          this.#state = State.ChunkData;
          return pos;
        }
        case State.ChunkDataCR:
          if (c !== CR) return this.#chunkError('missing CRLF after chunk data');
          this.#state = State.ChunkDataLF;
          pos++;
          continue;
        case State.ChunkDataLF:
          if (c !== LF) return this.#chunkError('missing CRLF after chunk data');
          this.#state = State.ChunkSize;
          this.#remaining = 0;
          this.#sawDigit = false;
          this.#extLen = 0;
          pos++;
          continue;
        default:
          return pos;
      }
    }
    return pos;
  }

  #chunkError(reason: string): number {
    this.#fail(this.#badMessage, reason);
    return Number.MAX_SAFE_INTEGER; // ends the caller's loop
  }

  // ---- head and trailer sections ------------------------------------------------------------

  /**
   * Parses the head (or trailer section) at `pos` straight from the bytes and sets up the
   * body. Returns the position after the section, or -1 when the rest of `buf` was stashed as
   * pending (incomplete) or the decoder failed.
   *
   * The parse is optimistic: a complete head is found and checked in one pass (each line must
   * end in CRLF, so the first empty line is the first CRLFCRLF). A syntax error is only kept
   * (#defer) until #unfinished has looked for the end: an incomplete head waits for more bytes
   * and a complete one over maxHeadSize is 431 whatever else is wrong, as if the end had been
   * searched for first. `resumed`: buf holds a section that was incomplete before; a native
   * search for its end comes first, so a head trickling in byte by byte is not re-parsed
   * in JS for every byte (that would be quadratic).
   */
  #section(buf: Buffer, pos: number, resumed: boolean): number {
    const len = buf.length;
    const trailers = this.#state === State.Trailers;
    if (!trailers) {
      pos = this.#skipEmptyLines(buf, pos);
      if (pos < 0) return -1;
      if (pos >= len) return len;
    } else if (buf[pos] === LF) {
      this.#fail(this.#badMessage, 'bare LF');
      return -1;
    } else if (buf[pos] === CR && pos + 1 < len && buf[pos + 1] === LF) {
      // No trailer fields: the last-chunk is followed directly by the final CRLF.
      this.#complete(null);
      return pos + 2;
    }
    if (resumed && buf.indexOf(HEAD_END, pos) < 0) return this.#unfinished(buf, pos, trailers, -1);
    const next = trailers ? this.#parseTrailers(buf, pos) : this.#isRequest ? this.#parseRequest(buf, pos) : this.#parseResponse(buf, pos);
    return next === DEFER ? this.#unfinished(buf, pos, trailers, buf.indexOf(HEAD_END, pos)) : next;
  }

  /** Keeps the first syntax error of an optimistic parse; see #section. */
  #defer(status: number, reason: string): number {
    this.#errStatus = status;
    this.#errReason = reason;
    return DEFER;
  }

  /**
   * The optimistic parse stopped at a fault: incomplete, too large, or the fault itself.
   * `e` is where the section's CRLFCRLF is (-1: nowhere yet).
   */
  #unfinished(buf: Buffer, pos: number, trailers: boolean, e: number): number {
    const len = buf.length;
    if (e < 0) {
      if (this.#checkPartial(buf, pos, len)) this.#stash(buf, pos, len);
    } else if (e + 4 - pos > this.#maxHeadSize) this.#tooLarge(trailers);
    else this.#fail(this.#errStatus, this.#errReason);
    return -1;
  }

  /** Leading CRLFs before a request-line (RFC 9112 §2.2). Returns -1 when it failed or stashed. */
  #skipEmptyLines(buf: Buffer, pos: number): number {
    const len = buf.length;
    while (pos < len) {
      const c = buf[pos];
      if (c === LF) {
        this.#fail(this.#badMessage, 'bare LF');
        return -1;
      }
      if (c !== CR || !this.#isRequest) return pos;
      if (pos + 1 >= len) {
        this.#stash(buf, pos, len); // a lone CR: wait for its LF
        return -1;
      }
      if (buf[pos + 1] !== LF) {
        this.#fail(this.#badMessage, 'bare CR');
        return -1;
      }
      if (++this.#emptyLines > MAX_LEADING_EMPTY_LINES) {
        this.#fail(400, 'too many empty lines before request');
        return -1;
      }
      pos += 2;
    }
    return pos;
  }

  /**
   * An incomplete section, buf[pos, len): too big already, or visibly LF-terminated in its
   * first WINDOW bytes (it would otherwise wait for a CRLFCRLF that never comes, RFC 9112
   * §2.2 lets us reject bare LF)?
   */
  #checkPartial(buf: Buffer, pos: number, len: number): boolean {
    if (len - pos >= this.#maxHeadSize) {
      this.#tooLarge(this.#state === State.Trailers);
      return false;
    }
    const lf = buf.indexOf(LF_LF, pos);
    if (lf >= 0 && lf + 2 <= pos + WINDOW) {
      this.#fail(this.#badMessage, 'bare LF');
      return false;
    }
    return true;
  }

  #tooLarge(trailers: boolean): void {
    this.#fail(this.#isRequest ? 431 : 502, trailers ? 'trailers too large' : 'head too large');
  }

  /** Copies buf[pos, len) into the pending buffer (only ever a partial section). */
  #stash(buf: Buffer, pos: number, len: number): void {
    const n = len - pos;
    let p = this.#pend;
    if (p === null || p.length < n) {
      p = Buffer.allocUnsafe(Math.max(n, Math.min(1024, this.#maxHeadSize)));
      this.#pend = p;
    }
    buf.copy(p, 0, pos, len);
    this.#pendLen = n;
  }

  /**
   * A chunk arrives while a section is pending. Appends what could still belong to the
   * section (at most maxHeadSize in total), retries, and on success continues with the rest
   * of `chunk` itself, so body views never point into the pending buffer.
   */
  #resume(chunk: Buffer): void {
    const old = this.#pendLen;
    const cap = this.#maxHeadSize + 2 * MAX_LEADING_EMPTY_LINES + 4;
    const take = Math.min(chunk.length, cap - old);
    let p = this.#pend!;
    if (p.length < old + take) {
      const q = Buffer.allocUnsafe(Math.min(Math.max(p.length * 2, old + take), cap));
      p.copy(q, 0, 0, old);
      p = q;
      this.#pend = p;
    }
    chunk.copy(p, old, 0, take);
    const total = old + take;
    const view = p.subarray(0, total);
    this.#pendLen = 0;
    const stateBefore = this.#state;
    const next = this.#section(view, 0, true);
    if (next < 0) {
      // Incomplete again: #section re-stashed the (unconsumed part of the) view into #pend,
      // copying within the same buffer, which Buffer#copy handles like memmove.
      if (this.#state === stateBefore && this.#pendLen > 0 && take < chunk.length) this.#tooLarge(stateBefore === State.Trailers);
      return;
    }
    // The head just decoded keeps a view of the pending buffer: the next stash needs a new one.
    this.#pend = null;
    // `next` is where the section ended in the view; the same byte in `chunk` is next - old.
    this.#pendLen = 0;
    this.#run(chunk, next - old);
  }

  #parseTrailers(buf: Buffer, pos: number): number {
    this.#trailerRaw = [];
    const end = this.#parseFields(buf, pos, true);
    if (end < 0) return end;
    if (end - pos > this.#maxHeadSize) {
      this.#tooLarge(true);
      return -1;
    }
    const raw = this.#trailerRaw;
    this.#trailerRaw = null;
    const t: Headers = {};
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const prev = t[name];
      t[name] = prev === undefined ? raw[i + 1]! : prev + ', ' + raw[i + 1]!;
    }
    this.#complete(t);
    return end;
  }

  /**
   * Field lines (RFC 9112 §5) from `p` up to the empty line. Returns the position after it
   * (the empty line's CR is left in #fieldsEnd), or DEFER. A head's lines are only looked at:
   * framing fields are picked out, and lines the encoder must look at are recorded in #spec
   * (see Wire); trailer lines are kept as strings.
   */
  #parseFields(buf: Buffer, p: number, trailers: boolean): number {
    let count = 0;
    for (;;) {
      let c = buf[p]!;
      if (c === CR && buf[p + 1] === LF) {
        this.#fieldsEnd = p;
        return p + 2;
      }
      if (++count > this.#maxHeaders) return this.#defer(this.#isRequest ? 431 : 502, trailers ? 'too many trailers' : 'too many headers');
      if (c === SP || c === HTAB) return this.#defer(this.#badMessage, 'obs-fold in header'); // RFC 9112 §5.2
      // The loops test one table entry per byte; what stopped them is looked at afterwards.
      let q = p;
      while (TOKEN[c] === 1) c = buf[++q]!;
      // No whitespace is allowed between name and colon (RFC 9112 §5.1): it is not a tchar.
      if (c !== COLON) return this.#defer(this.#badMessage, c === LF ? 'bare LF' : 'invalid header name');
      if (q === p) return this.#defer(this.#badMessage, 'empty header name');
      let v = q + 1;
      c = buf[v]!;
      while (c === SP || c === HTAB) c = buf[++v]!;
      let k = v;
      while (FIELD_VALUE[c] === 1) c = buf[++k]!;
      if (c !== CR) return this.#defer(this.#badMessage, c === LF ? 'bare LF' : 'invalid header value');
      if (buf[k + 1] !== LF) return this.#defer(this.#badMessage, 'bare CR');
      let last = k; // trailing OWS is not part of the value (RFC 9112 §5)
      while (last > v && ((c = buf[last - 1]!) === SP || c === HTAB)) last--;
      if (trailers) {
        this.#trailerRaw!.push(latin1Slice.call(buf, p, q), latin1Slice.call(buf, v, last));
      } else {
        const code = this.#framingField(buf, p, q - p, v, last);
        if (code < 0) return DEFER;
        // "Name: value" exactly is what the encoder writes: such lines are copied as they are.
        const canonical = v === q + 2 && buf[q + 1] === SP && last === k;
        if (code !== Field.Other || !canonical) (this.#spec ??= []).push(canonical ? code : code | Field.NonCanonical, p, q, v, last, k + 2);
      }
      p = k + 2;
    }
  }

  /**
   * Picks out what framing needs from the name at buf[at, at + len) and its value
   * buf[v, last), by length first so most names cost one switch, then bytes compared
   * case-insensitively (no lowercased copy). Returns the name's Field code, or DEFER.
   */
  #framingField(buf: Buffer, at: number, len: number, v: number, last: number): number {
    switch (len) {
      case 2:
        return eqBytesLower(buf, at, 'te') ? Field.Te : Field.Other;
      case 4:
        if (eqBytesLower(buf, at, 'host')) {
          this.#hosts++;
          for (let i = v; i < last; i++) {
            if (HOST[buf[i]!] !== 1) return this.#defer(400, 'invalid host header'); // RFC 9112 §3.2: MUST respond 400
          }
        }
        return Field.Other;
      case 6:
        return eqBytesLower(buf, at, 'expect') ? Field.Expect : Field.Other;
      case 7:
        if (eqBytesLower(buf, at, 'upgrade')) {
          this.#conn |= Conn.UpgradeField;
          return Field.Upgrade;
        }
        return eqBytesLower(buf, at, 'trailer') ? Field.Trailer : Field.Other;
      case 10:
        if (eqBytesLower(buf, at, 'connection')) {
          this.#conn |= connectionFlags(buf, v, last);
          return Field.Connection;
        }
        return eqBytesLower(buf, at, 'keep-alive') ? Field.KeepAlive : Field.Other;
      case 14:
        if (eqBytesLower(buf, at, 'content-length')) return this.#parseContentLength(buf, v, last) ? Field.ContentLength : DEFER;
        return Field.Other;
      case 16:
        return eqBytesLower(buf, at, 'proxy-connection') ? Field.ProxyConnection : Field.Other;
      case 17:
        if (eqBytesLower(buf, at, 'transfer-encoding')) {
          this.#parseTransferEncoding(buf, v, last);
          return Field.TransferEncoding;
        }
        return Field.Other;
    }
    return Field.Other;
  }

  /**
   * Content-Length (RFC 9110 §8.6, RFC 9112 §6.3 ¶5): 1*DIGIT. A list or repeated field is
   * accepted only when every member is the same number; anything else is a smuggling vector.
   */
  #parseContentLength(buf: Buffer, i: number, n: number): boolean {
    do {
      let v = 0;
      let digits = 0;
      while (i < n) {
        const c = buf[i]!;
        if (c < 0x30 || c > 0x39) break;
        v = v * 10 + (c - 0x30);
        digits++;
        i++;
      }
      if (digits === 0 || v > MAX_SIZE) {
        this.#defer(this.#badMessage, 'invalid content-length');
        return false;
      }
      while (i < n && isOws(buf[i]!)) i++;
      if (i < n) {
        if (buf[i] !== 0x2c) {
          this.#defer(this.#badMessage, 'invalid content-length');
          return false;
        }
        i++;
        while (i < n && isOws(buf[i]!)) i++;
        if (i >= n) {
          this.#defer(this.#badMessage, 'invalid content-length');
          return false;
        }
      }
      if (this.#contentLength >= 0 && this.#contentLength !== v) {
        this.#defer(this.#badMessage, 'conflicting content-length');
        return false;
      }
      this.#contentLength = v;
    } while (i < n);
    return true;
  }

  /**
   * Transfer-Encoding (RFC 9112 §6.1): codings are counted across all TE lines; only a single
   * "chunked", last, is understood. The verdict is taken in #teVerdict once all lines are in.
   */
  #parseTransferEncoding(buf: Buffer, from: number, end: number): void {
    this.#teSeen = true;
    while (from <= end) {
      const e = listElement(buf, from, end);
      if (e.end > e.start) {
        // Empty list elements are ignored (RFC 9110 §5.6.1).
        const chunked = e.end - e.start === 7 && eqBytesLower(buf, e.start, 'chunked');
        this.#teCodings++;
        if (chunked) this.#teChunked++;
        this.#teLastChunked = chunked;
      }
      from = e.next;
    }
  }

  #teVerdict(): number {
    if (!this.#teSeen) return TE_NONE;
    // Without a final chunked the length is unknowable (RFC 9112 §6.3 ¶4); chunked twice is
    // not allowed (§7.1).
    if (!this.#teLastChunked || this.#teChunked > 1) return TE_NOT_FINAL;
    return this.#teCodings === 1 ? TE_CHUNKED : TE_UNKNOWN;
  }

  #resetFraming(): void {
    this.#contentLength = -1;
    this.#spec = null;
    this.#te = TE_NONE;
    this.#teSeen = false;
    this.#teCodings = 0;
    this.#teChunked = 0;
    this.#teLastChunked = false;
    this.#hosts = 0;
    this.#conn = 0;
    this.#tunnelNext = false;
    this.#bodySize = 0;
  }

  /** A head parsed whole: over maxHeadSize it is refused however good it is. */
  #headFits(pos: number, end: number): boolean {
    if (end - pos > this.#maxHeadSize) {
      this.#tooLarge(false);
      return false;
    }
    this.#emptyLines = 0;
    return true;
  }

  #parseRequest(buf: Buffer, at: number): number {
    this.#resetFraming();
    // request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3), exactly one SP.
    let i = at;
    let c = buf[i]!;
    while (TOKEN[c] === 1) c = buf[++i]!;
    if (c !== SP || i === at) return this.#defer(400, c === LF ? 'bare LF' : 'invalid method');
    const method = internMethod(buf, at, i - at);
    let j = i + 1;
    c = buf[j]!;
    while (TARGET[c] === 1) c = buf[++j]!;
    if (c !== SP || j === i + 1) return this.#defer(400, c === LF ? 'bare LF' : 'invalid request-target');
    if (!this.#targetForm(buf, i + 1, j - i - 1, method)) return this.#defer(400, 'invalid request-target');
    const v = j + 1;
    let protocol: string;
    if (eqBytes(buf, v, 'HTTP/1.') && buf[v + 8] === CR && buf[v + 9] === LF && (buf[v + 7] === 0x31 || buf[v + 7] === 0x30)) {
      protocol = buf[v + 7] === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0';
    } else return this.#versionError(buf, v, CR);
    const end = this.#parseFields(buf, v + 10, false);
    if (end < 0) return end;
    if (!this.#headFits(at, end)) return -1;
    this.#te = this.#teVerdict();

    // Host (RFC 9112 §3.2): exactly one in HTTP/1.1, at most one ever.
    if (this.#hosts > 1) return this.#failed(400, 'multiple host headers');
    if (this.#hosts === 0 && protocol === 'HTTP/1.1') return this.#failed(400, 'missing host header');

    let length: number;
    if (this.#te !== TE_NONE) {
      // RFC 9112 §6.1: TE in an HTTP/1.0 message means faulty framing; TE with CL is the
      // classic smuggling vector (§6.3 ¶3 lets a proxy reject instead of repairing).
      if (this.#contentLength >= 0) return this.#failed(400, 'both content-length and transfer-encoding');
      if (protocol === 'HTTP/1.0') return this.#failed(400, 'transfer-encoding in HTTP/1.0');
      if (this.#te === TE_NOT_FINAL) return this.#failed(400, 'transfer-encoding not ending in chunked');
      if (this.#te !== TE_CHUNKED) return this.#failed(501, 'unsupported transfer-coding');
      length = -1;
    } else {
      length = this.#contentLength >= 0 ? this.#contentLength : 0;
      if (this.#maxBodySize > 0 && length > this.#maxBodySize) return this.#failed(413, 'body too large');
    }

    // Upgrade needs the field and the "upgrade" connection option, and is ignored in HTTP/1.0
    // (RFC 9110 §7.8); CONNECT always asks for a tunnel (RFC 9110 §9.3.6). Both wait for the
    // response's verdict.
    const upgrade = (this.#conn & (Conn.UpgradeField | Conn.Upgrade)) === (Conn.UpgradeField | Conn.Upgrade);
    this.#tunnelNext = method === 'CONNECT' || (upgrade && protocol === 'HTTP/1.1');
    // A one-byte "/" is by far the most common target: no string made for it.
    const path = j === i + 2 && buf[i + 1] === 0x2f ? '/' : latin1Slice.call(buf, i + 1, j);
    const head = new RequestHead(method, path, protocol);
    attachWire(head, new Wire(buf, at, v + 10, this.#fieldsEnd, this.#spec, this.#conn, method, path, 0, '', protocol === 'HTTP/1.1'));
    this.#spec = null;
    this.#startBody(head as H, length);
    return end;
  }

  #failed(status: number, reason: string): number {
    this.#fail(status, reason);
    return -1;
  }

  /**
   * The four request-target forms (RFC 9112 §3.2): origin-form "/...", absolute-form
   * "scheme://...", authority-form for CONNECT only, asterisk-form "*" for OPTIONS only.
   * Anything else would be routed on a guess.
   */
  #targetForm(src: Buffer, at: number, n: number, method: string): boolean {
    const c0 = src[at]!;
    if (method === 'CONNECT') return c0 !== 0x2f && c0 !== 0x2a; // host:port
    if (c0 === 0x2f) return true;
    if (c0 === 0x2a) return n === 1 && method === 'OPTIONS';
    if ((c0 | 0x20) < 0x61 || (c0 | 0x20) > 0x7a) return false;
    let i = 1;
    while (i < n && SCHEME[src[at + i]!] === 1) i++;
    return i + 2 < n && src[at + i] === 0x3a && src[at + i + 1] === 0x2f && src[at + i + 2] === 0x2f;
  }

  /** `buf` at `v` is not "HTTP/1.0" or "HTTP/1.1" followed by `after` (CR or SP). */
  #versionError(buf: Buffer, v: number, after: number): number {
    // Well-formed "HTTP/d.d" that is not 1.0/1.1: 505 (RFC 9110 §15.6.6); anything else: 400.
    const ok = eqBytes(buf, v, 'HTTP/') && isDigit(buf[v + 5]!) && buf[v + 6] === 0x2e && isDigit(buf[v + 7]!) && buf[v + 8] === after;
    const reason = ok ? 'unsupported HTTP version' : 'invalid HTTP version';
    return this.#defer(this.#isRequest ? (ok ? 505 : 400) : 502, reason);
  }

  #parseResponse(buf: Buffer, at: number): number {
    this.#resetFraming();
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 §4).
    let protocol: string;
    if (eqBytes(buf, at, 'HTTP/1.') && buf[at + 8] === SP && (buf[at + 7] === 0x31 || buf[at + 7] === 0x30)) {
      protocol = buf[at + 7] === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0';
    } else return this.#versionError(buf, at, SP);
    const d0 = buf[at + 9]! - 0x30;
    const d1 = buf[at + 10]! - 0x30;
    const d2 = buf[at + 11]! - 0x30;
    if (!(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return this.#defer(502, 'invalid status code');
    const status = d0 * 100 + d1 * 10 + d2;
    let k = at + 12;
    let c = buf[k]!;
    let textAt = -1;
    if (c === SP) {
      // A missing reason-phrase is allowed; so (leniently, RFC 9112 §4) is a missing SP.
      k++;
      textAt = k;
      c = buf[k]!;
      while (c !== CR) {
        if (FIELD_VALUE[c] !== 1) return this.#defer(502, c === LF ? 'bare LF' : 'invalid reason phrase');
        c = buf[++k]!;
      }
    } else if (c !== CR) return this.#defer(502, 'invalid status code');
    if (buf[k + 1] !== LF) return this.#defer(502, 'bare CR');
    const end = this.#parseFields(buf, k + 2, false);
    if (end < 0) return end;
    if (!this.#headFits(at, end)) return -1;
    this.#te = this.#teVerdict();

    // 1xx other than 101 are interim: they answer no request on their own (RFC 9110 §15.2).
    const interim = status < 200 && status !== 101;
    let method = '';
    if (!interim && this.#methodsSize > 0) {
      const ring = this.#methods;
      method = ring[this.#methodsHead]!;
      this.#methodsHead = (this.#methodsHead + 1) & (ring.length - 1);
      this.#methodsSize--;
    }

    if (this.#te !== TE_NONE) {
      if (this.#contentLength >= 0) return this.#failed(502, 'both content-length and transfer-encoding');
      if (protocol === 'HTTP/1.0') return this.#failed(502, 'transfer-encoding in HTTP/1.0');
      if (this.#te !== TE_CHUNKED) return this.#failed(502, 'unsupported transfer-coding');
    }
    const statusText = textAt < 0 ? '' : k === textAt + 2 && buf[textAt] === 0x4f && buf[textAt + 1] === 0x4b ? 'OK' : latin1Slice.call(buf, textAt, k);
    const head = new ResponseHead(status, statusText, protocol) as H;
    attachWire(head, new Wire(buf, at, k + 2, this.#fieldsEnd, this.#spec, this.#conn, '', '', status, statusText, protocol === 'HTTP/1.1' && statusText !== ''));
    this.#spec = null;
    // Message body length, RFC 9112 §6.3 in order.
    if (status === 101 || (method === 'CONNECT' && status >= 200 && status < 300)) {
      this.#tunnelNext = true;
      this.#startBody(head, 0);
    } else if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
      this.#startBody(head, 0);
    } else if (this.#te === TE_CHUNKED) {
      this.#startBody(head, -1);
    } else if (this.#contentLength >= 0) {
      if (this.#maxBodySize > 0 && this.#contentLength > this.#maxBodySize) return this.#failed(502, 'body too large');
      this.#startBody(head, this.#contentLength);
    } else {
      this.#state = State.UntilClose;
      this.#sink.onHead(head, -1);
    }
    return end;
  }

  /** Reports the head and enters the body state for `length` (-1 here means chunked). */
  #startBody(head: H, length: number): void {
    if (length === 0) {
      this.#sink.onHead(head, 0);
      this.#complete(null);
    } else if (length > 0) {
      this.#state = State.Length;
      this.#remaining = length;
      this.#sink.onHead(head, length);
    } else {
      this.#state = State.ChunkSize;
      this.#remaining = 0;
      this.#sawDigit = false;
      this.#extLen = 0;
      this.#sink.onHead(head, -1);
    }
  }

  /** The message is complete: report it and pick the next state. */
  #complete(trailers: Headers | null): void {
    const tunnel = this.#tunnelNext;
    this.#tunnelNext = false;
    this.#state = !tunnel ? State.Head : this.#isRequest ? State.AwaitTunnel : State.Tunnel;
    this.#sink.onEnd(trailers);
  }
}

export function createRequestDecoder(sink: DecoderSink<RequestHead>, limits?: Partial<Http1Limits>): RequestDecoder {
  return new Http1Decoder<RequestHead>(sink, true, limits);
}

export function createResponseDecoder(sink: DecoderSink<ResponseHead>, limits?: Partial<Http1Limits>): ResponseDecoder {
  return new Http1Decoder<ResponseHead>(sink, false, limits);
}

/**
 * Persistence (RFC 9112 §9.3): "close" in Connection ends it; otherwise HTTP/1.1 persists and
 * HTTP/1.0 persists only with "keep-alive". Reads the head without materialising headers.
 */
export function wantsKeepAlive(head: RequestHead | ResponseHead | HeadBase): boolean {
  const w = wireOf(head);
  if (w !== null) {
    // What the decoder saw in Connection: the same answer as below, with no string made.
    if ((w.flags & Conn.Close) !== 0) return false;
    if (head.protocol === 'HTTP/1.1') return true;
    if (head.protocol === 'HTTP/1.0') return (w.flags & Conn.KeepAlive) !== 0;
    if ((w.flags & Conn.Present) === 0) return wantsKeepAliveOf(head, undefined);
  }
  return wantsKeepAliveOf(head, headerOf(head, 'connection'));
}

function wantsKeepAliveOf(head: RequestHead | ResponseHead | HeadBase, conn: string | undefined): boolean {
  if (conn !== undefined && listHas(conn, 'close')) return false;
  if (head.protocol === 'HTTP/1.1' || head.protocol === undefined) return true;
  if (head.protocol === 'HTTP/1.0') return conn !== undefined && listHas(conn, 'keep-alive');
  // Any other 1.x minor version is read as 1.1 (RFC 9112 §2.3); older versions do not persist.
  const p = head.protocol;
  return p.length === 8 && p.startsWith('HTTP/1.') && p.charCodeAt(7) > 0x31 && p.charCodeAt(7) <= 0x39;
}
