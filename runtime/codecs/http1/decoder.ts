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
// The head is found with one native `indexOf` of CRLFCRLF, turned into one latin1 string and
// parsed with charCode loops over 256-entry tables (chars.ts). Bytes are only copied while a
// head or trailer section is split across chunks (the "pending" buffer, bounded by
// maxHeadSize); body bytes are always handed out as views of the caller's chunks.
//
// Every malformed input ends in onError(status, reason) and the decoder goes Dead: a proxy
// must not guess at framing another hop may read differently (request smuggling, RFC 9112
// §11.2), so anything ambiguous is an error rather than a recovery.

import { RequestHead, ResponseHead, headerOf, type HeadBase, type Headers } from './head.ts';
import type { DecoderSink, Http1Limits, RequestDecoder, ResponseDecoder } from './types.ts';
import { DEFAULT_LIMITS } from './types.ts';
import { COLON, CR, FIELD_VALUE, HEX, HOST, HTAB, LF, SCHEME, SP, TARGET, TOKEN, CHUNK_EXT, MASK_LINES, VALIDATED, isOws, listHas } from './chars.ts';

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
const EMPTY = Buffer.alloc(0);

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
 * text.startsWith(lit, at) without the builtin call: startsWith with a position is not
 * inlined by V8 and cost ~100 ns per call in bench/codec-http1.ts; this loop inlines.
 */
function eqAt(text: string, at: number, lit: string): boolean {
  const n = lit.length;
  for (let i = 0; i < n; i++) if (text.charCodeAt(at + i) !== lit.charCodeAt(i)) return false;
  return true;
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

/** eqAt over bytes: the head parsers read bytes, which is cheaper than charCodeAt. */
function eqBytes(b: Buffer, at: number, lit: string): boolean {
  const n = lit.length;
  for (let i = 0; i < n; i++) if (b[at + i] !== lit.charCodeAt(i)) return false;
  return true;
}

/** Common method names, returned as constants so a request allocates no method string. */
function internMethod(s: string, at: number, n: number, b: Buffer, off: number): string {
  const p = off + at;
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
  return s.slice(at, at + n);
}

/**
 * Buffer#latin1Slice is what toString('latin1') ends in, minus the encoding dispatch. It is
 * not in @types/node, hence the cast; toString is the fallback should it ever go away.
 */
const latin1Slice: (this: Buffer, start: number, end: number) => string =
  (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, start: number, end: number) => string }).latin1Slice ??
  function (this: Buffer, start: number, end: number): string {
    return this.toString('latin1', start, end);
  };

/**
 * Bytes turned into a string at once when looking for a head: one native call then covers
 * every head of a pipelined batch, found with V8's own string search.
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

  // The latin1 text of buf[#winBase, #winBase + #win.length), valid only within one write():
  // callers may reuse their buffers once write() returns.
  #win = '';
  #winBuf: Buffer | null = null;
  #winBase = 0;

  // The bytes behind the text being parsed: text[i] is #src[#srcOff + i]. The parsers scan
  // bytes (typed-array loads beat charCodeAt by ~1.8x in bench/codec-http1.ts) and take
  // strings from the text with slice.
  #src: Buffer = EMPTY;
  #srcOff = 0;

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
  #special = 0; // VALIDATED mask of the head being parsed
  #te = TE_NONE;
  #teSeen = false;
  #teCodings = 0;
  #teChunked = 0;
  #teLastChunked = false;
  #hosts = 0;
  #connUpgrade = false;
  #hasUpgrade = false;
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
      this.#queue.length = 0;
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
    this.#winBuf = null; // the caller may reuse its buffer once write() returns
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
          const next = this.#section(buf, pos);
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
   * Finds a complete head (or trailer section) in `buf` from `pos`, parses it and sets up the
   * body. Returns the position after the section, or -1 when the rest of `buf` was stashed as
   * pending (incomplete) or the decoder failed.
   */
  #section(buf: Buffer, pos: number): number {
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
    // latin1 maps each byte to one char, so obs-text survives a decode/encode round trip.
    let text = this.#win;
    let base = this.#winBase;
    if (buf !== this.#winBuf || pos < base || pos >= base + text.length) {
      text = latin1Slice.call(buf, pos, Math.min(len, pos + WINDOW));
      base = pos;
      this.#win = text;
      this.#winBuf = buf;
      this.#winBase = pos;
    }
    let at = pos - base;
    let end = text.indexOf('\r\n\r\n', at);
    if (end < 0 && base + text.length < len) {
      // A head longer than the window: find its end in the buffer, then take exactly it.
      const e = buf.indexOf(HEAD_END, base + text.length - 3);
      if (e >= 0 && e + 4 - pos <= this.#maxHeadSize) {
        text = latin1Slice.call(buf, pos, e + 4);
        base = pos;
        at = 0;
        this.#win = text;
        this.#winBase = pos;
        end = e - pos;
      } else if (e >= 0) end = e - base;
    }
    if (end < 0) {
      if (!this.#checkPartial(text, at, len - pos)) return -1;
      this.#stash(buf, pos, len);
      return -1;
    }
    if (end + 4 - at > this.#maxHeadSize) {
      this.#tooLarge(trailers);
      return -1;
    }
    // No separate bare-LF scan here: every LF inside a line is rejected by the line parsers
    // below (it is no tchar, field-vchar or target byte), so a head is accepted or rejected
    // the same however it was split; only the reason may differ for heads with two faults.
    this.#src = buf;
    this.#srcOff = base;
    if (trailers) this.#parseTrailers(text, at, end + 2);
    else this.#parseHead(text, at, end + 2);
    this.#src = EMPTY;
    return base + end + 4;
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
   * An incomplete section of `size` bytes, the first ones in `text` from `at`: too big
   * already, or visibly LF-terminated (it would otherwise wait for a CRLFCRLF that never comes,
   * RFC 9112 §2.2 lets us reject bare LF)?
   */
  #checkPartial(text: string, at: number, size: number): boolean {
    if (size >= this.#maxHeadSize) {
      this.#tooLarge(this.#state === State.Trailers);
      return false;
    }
    if (text.indexOf('\n\n', at) >= 0) {
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
    const next = this.#section(view, 0);
    if (next < 0) {
      // Incomplete again: #section re-stashed the (unconsumed part of the) view into #pend,
      // copying within the same buffer, which Buffer#copy handles like memmove.
      if (this.#state === stateBefore && this.#pendLen > 0 && take < chunk.length) this.#tooLarge(stateBefore === State.Trailers);
      return;
    }
    // `next` is where the section ended in the view; the same byte in `chunk` is next - old.
    this.#pendLen = 0;
    this.#run(chunk, next - old);
  }

  #parseTrailers(text: string, at: number, n: number): void {
    const raw: string[] = [];
    if (this.#parseFields(text, at, n, raw, true) < 0) return;
    const t: Headers = {};
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const prev = t[name];
      t[name] = prev === undefined ? raw[i + 1]! : prev + ', ' + raw[i + 1]!;
    }
    this.#complete(t);
  }

  /**
   * Field lines (RFC 9112 §5) in text[p, n) (every line ends in CRLF) into `raw`. For a head
   * (not trailers) also records the framing fields. Returns -1 on error.
   */
  #parseFields(text: string, p: number, n: number, raw: string[], trailers: boolean): number {
    const src = this.#src;
    const off = this.#srcOff;
    let count = 0;
    while (p < n) {
      if (++count > this.#maxHeaders) {
        this.#fail(this.#isRequest ? 431 : 502, trailers ? 'too many trailers' : 'too many headers');
        return -1;
      }
      let c = src[off + p]!;
      if (c === SP || c === HTAB) return this.#fieldError('obs-fold in header'); // RFC 9112 §5.2
      // The loops test one table entry per byte; what stopped them is looked at afterwards.
      let q = p;
      while (TOKEN[c] === 1) c = src[off + ++q]!;
      // No whitespace is allowed between name and colon (RFC 9112 §5.1): it is not a tchar.
      if (c !== COLON) return this.#fieldError(c === LF ? 'bare LF' : 'invalid header name');
      if (q === p) return this.#fieldError('empty header name');
      let v = q + 1;
      c = src[off + v]!;
      while (c === SP || c === HTAB) c = src[off + ++v]!;
      let k = v;
      while (FIELD_VALUE[c] === 1) c = src[off + ++k]!;
      if (c !== CR) return this.#fieldError(c === LF ? 'bare LF' : 'invalid header value');
      if (src[off + k + 1] !== LF) return this.#fieldError('bare CR');
      let last = k; // trailing OWS is not part of the value (RFC 9112 §5)
      while (last > v && ((c = src[off + last - 1]!) === SP || c === HTAB)) last--;
      const name = text.slice(p, q);
      const value = text.slice(v, last);
      raw.push(name, value);
      if (!trailers && !this.#framingField(off + p, q - p, value, count - 1)) return -1;
      p = k + 2;
    }
    return p;
  }

  #fieldError(reason: string): number {
    this.#fail(this.#badMessage, reason);
    return -1;
  }

  /**
   * Picks out what framing needs from the name at #src[at, at + len), by length first so most
   * names cost one switch, then bytes compared case-insensitively (no lowercased copy).
   */
  #framingField(at: number, len: number, value: string, line: number): boolean {
    const src = this.#src;
    let special = false;
    switch (len) {
      case 2:
        special = eqBytesLower(src, at, 'te');
        break;
      case 4:
        if (eqBytesLower(src, at, 'host')) {
          this.#hosts++;
          for (let i = 0; i < value.length; i++) {
            if (HOST[value.charCodeAt(i)] !== 1) {
              this.#fail(400, 'invalid host header'); // RFC 9112 §3.2: MUST respond 400
              return false;
            }
          }
        }
        break;
      case 6:
        special = eqBytesLower(src, at, 'expect');
        break;
      case 7:
        if (eqBytesLower(src, at, 'upgrade')) {
          this.#hasUpgrade = true;
          special = true;
        } else special = eqBytesLower(src, at, 'trailer');
        break;
      case 10:
        if (eqBytesLower(src, at, 'connection')) {
          if (listHas(value, 'upgrade')) this.#connUpgrade = true;
          special = true;
        } else special = eqBytesLower(src, at, 'keep-alive');
        break;
      case 14:
        if (eqBytesLower(src, at, 'content-length')) {
          this.#special |= 1 << line;
          return this.#parseContentLength(value);
        }
        break;
      case 16:
        special = eqBytesLower(src, at, 'proxy-connection');
        break;
      case 17:
        if (eqBytesLower(src, at, 'transfer-encoding')) {
          this.#parseTransferEncoding(value);
          special = true;
        }
        break;
    }
    if (special && line < MASK_LINES) this.#special |= 1 << line;
    return true;
  }

  /**
   * Content-Length (RFC 9110 §8.6, RFC 9112 §6.3 ¶5): 1*DIGIT. A list or repeated field is
   * accepted only when every member is the same number; anything else is a smuggling vector.
   */
  #parseContentLength(value: string): boolean {
    let i = 0;
    const n = value.length;
    do {
      let v = 0;
      let digits = 0;
      while (i < n) {
        const c = value.charCodeAt(i);
        if (c < 0x30 || c > 0x39) break;
        v = v * 10 + (c - 0x30);
        digits++;
        i++;
      }
      if (digits === 0 || v > MAX_SIZE) {
        this.#fail(this.#badMessage, 'invalid content-length');
        return false;
      }
      while (i < n && isOws(value.charCodeAt(i))) i++;
      if (i < n) {
        if (value.charCodeAt(i) !== 0x2c) {
          this.#fail(this.#badMessage, 'invalid content-length');
          return false;
        }
        i++;
        while (i < n && isOws(value.charCodeAt(i))) i++;
        if (i >= n) {
          this.#fail(this.#badMessage, 'invalid content-length');
          return false;
        }
      }
      if (this.#contentLength >= 0 && this.#contentLength !== v) {
        this.#fail(this.#badMessage, 'conflicting content-length');
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
  #parseTransferEncoding(value: string): void {
    this.#teSeen = true;
    const list = value.toLowerCase();
    let from = 0;
    while (from <= list.length) {
      let to = list.indexOf(',', from);
      if (to < 0) to = list.length;
      let a = from;
      let b = to;
      while (a < b && isOws(list.charCodeAt(a))) a++;
      while (b > a && isOws(list.charCodeAt(b - 1))) b--;
      if (b > a) {
        // Empty list elements are ignored (RFC 9110 §5.6.1).
        const chunked = b - a === 7 && eqAt(list, a, 'chunked');
        this.#teCodings++;
        if (chunked) this.#teChunked++;
        this.#teLastChunked = chunked;
      }
      from = to + 1;
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
    this.#special = 0;
    this.#te = TE_NONE;
    this.#teSeen = false;
    this.#teCodings = 0;
    this.#teChunked = 0;
    this.#teLastChunked = false;
    this.#hosts = 0;
    this.#connUpgrade = false;
    this.#hasUpgrade = false;
    this.#tunnelNext = false;
    this.#bodySize = 0;
    this.#emptyLines = 0;
  }

  /** The head is text[at, n), its last line's CRLF included, the empty line not. */
  #parseHead(text: string, at: number, n: number): void {
    this.#resetFraming();
    if (this.#isRequest) this.#parseRequest(text, at, n);
    else this.#parseResponse(text, at, n);
  }

  #parseRequest(text: string, at: number, n: number): void {
    // request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3), exactly one SP.
    const src = this.#src;
    const off = this.#srcOff;
    let i = at;
    let c = src[off + i]!;
    while (TOKEN[c] === 1) c = src[off + ++i]!;
    if (c !== SP || i === at) return this.#fail(400, c === LF ? 'bare LF' : 'invalid method');
    const method = internMethod(text, at, i - at, src, off);
    let j = i + 1;
    c = src[off + j]!;
    while (TARGET[c] === 1) c = src[off + ++j]!;
    if (c !== SP || j === i + 1) return this.#fail(400, c === LF ? 'bare LF' : 'invalid request-target');
    if (!this.#targetForm(src, off + i + 1, j - i - 1, method)) return this.#fail(400, 'invalid request-target');
    const path = text.slice(i + 1, j);
    const v = j + 1;
    let protocol: string;
    if (eqBytes(src, off + v, 'HTTP/1.') && src[off + v + 8] === CR && src[off + v + 9] === LF && (src[off + v + 7] === 0x31 || src[off + v + 7] === 0x30)) {
      protocol = src[off + v + 7] === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0';
    } else return this.#versionError(text, v, CR);
    const raw: string[] = [];
    if (this.#parseFields(text, v + 10, n, raw, false) < 0) return;
    (raw as { [VALIDATED]?: number })[VALIDATED] = this.#special; // every byte checked
    this.#te = this.#teVerdict();

    // Host (RFC 9112 §3.2): exactly one in HTTP/1.1, at most one ever.
    if (this.#hosts > 1) return this.#fail(400, 'multiple host headers');
    if (this.#hosts === 0 && protocol === 'HTTP/1.1') return this.#fail(400, 'missing host header');

    let length: number;
    if (this.#te !== TE_NONE) {
      // RFC 9112 §6.1: TE in an HTTP/1.0 message means faulty framing; TE with CL is the
      // classic smuggling vector (§6.3 ¶3 lets a proxy reject instead of repairing).
      if (this.#contentLength >= 0) return this.#fail(400, 'both content-length and transfer-encoding');
      if (protocol === 'HTTP/1.0') return this.#fail(400, 'transfer-encoding in HTTP/1.0');
      if (this.#te === TE_NOT_FINAL) return this.#fail(400, 'transfer-encoding not ending in chunked');
      if (this.#te !== TE_CHUNKED) return this.#fail(501, 'unsupported transfer-coding');
      length = -1;
    } else {
      length = this.#contentLength >= 0 ? this.#contentLength : 0;
      if (this.#maxBodySize > 0 && length > this.#maxBodySize) return this.#fail(413, 'body too large');
    }

    // Upgrade needs the field and the "upgrade" connection option, and is ignored in HTTP/1.0
    // (RFC 9110 §7.8); CONNECT always asks for a tunnel (RFC 9110 §9.3.6). Both wait for the
    // response's verdict.
    this.#tunnelNext = method === 'CONNECT' || (this.#hasUpgrade && this.#connUpgrade && protocol === 'HTTP/1.1');
    const head = new RequestHead(method, path, protocol, raw) as H;
    this.#startBody(head, length);
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

  /** `text` at `v` is not "HTTP/1.0" or "HTTP/1.1" followed by `after` (CR or SP). */
  #versionError(text: string, v: number, after: number): void {
    // Well-formed "HTTP/d.d" that is not 1.0/1.1: 505 (RFC 9110 §15.6.6); anything else: 400.
    const ok =
      eqAt(text, v, 'HTTP/') &&
      isDigit(text.charCodeAt(v + 5)) &&
      text.charCodeAt(v + 6) === 0x2e &&
      isDigit(text.charCodeAt(v + 7)) &&
      text.charCodeAt(v + 8) === after;
    const reason = ok ? 'unsupported HTTP version' : 'invalid HTTP version';
    this.#fail(this.#isRequest ? (ok ? 505 : 400) : 502, reason);
  }

  #parseResponse(text: string, at: number, n: number): void {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 §4).
    const src = this.#src;
    const off = this.#srcOff;
    const a = off + at;
    let protocol: string;
    if (eqBytes(src, a, 'HTTP/1.') && src[a + 8] === SP && (src[a + 7] === 0x31 || src[a + 7] === 0x30)) {
      protocol = src[a + 7] === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0';
    } else return this.#versionError(text, at, SP);
    const d0 = src[a + 9]! - 0x30;
    const d1 = src[a + 10]! - 0x30;
    const d2 = src[a + 11]! - 0x30;
    if (!(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return this.#fail(502, 'invalid status code');
    const status = d0 * 100 + d1 * 10 + d2;
    let k = at + 12;
    let c = src[off + k]!;
    let statusText = '';
    if (c === SP) {
      // A missing reason-phrase is allowed; so (leniently, RFC 9112 §4) is a missing SP.
      k++;
      c = src[off + k]!;
      while (c !== CR) {
        if (FIELD_VALUE[c] !== 1) return this.#fail(502, c === LF ? 'bare LF' : 'invalid reason phrase');
        c = src[off + ++k]!;
      }
      statusText = k === at + 15 && eqBytes(src, a + 13, 'OK') ? 'OK' : text.slice(at + 13, k);
    } else if (c !== CR) return this.#fail(502, 'invalid status code');
    if (src[off + k + 1] !== LF) return this.#fail(502, 'bare CR');
    const raw: string[] = [];
    if (this.#parseFields(text, k + 2, n, raw, false) < 0) return;
    (raw as { [VALIDATED]?: number })[VALIDATED] = this.#special;
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
      if (this.#contentLength >= 0) return this.#fail(502, 'both content-length and transfer-encoding');
      if (protocol === 'HTTP/1.0') return this.#fail(502, 'transfer-encoding in HTTP/1.0');
      if (this.#te !== TE_CHUNKED) return this.#fail(502, 'unsupported transfer-coding');
    }
    const head = new ResponseHead(status, statusText, protocol, raw) as H;
    // Message body length, RFC 9112 §6.3 in order.
    if (status === 101 || (method === 'CONNECT' && status >= 200 && status < 300)) {
      this.#tunnelNext = true;
      this.#startBody(head, 0);
    } else if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
      this.#startBody(head, 0);
    } else if (this.#te === TE_CHUNKED) {
      this.#startBody(head, -1);
    } else if (this.#contentLength >= 0) {
      if (this.#maxBodySize > 0 && this.#contentLength > this.#maxBodySize) return this.#fail(502, 'body too large');
      this.#startBody(head, this.#contentLength);
    } else {
      this.#state = State.UntilClose;
      this.#sink.onHead(head, -1);
    }
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
  const conn = headerOf(head, 'connection');
  if (conn !== undefined && listHas(conn, 'close')) return false;
  if (head.protocol === 'HTTP/1.1' || head.protocol === undefined) return true;
  if (head.protocol === 'HTTP/1.0') return conn !== undefined && listHas(conn, 'keep-alive');
  // Any other 1.x minor version is read as 1.1 (RFC 9112 §2.3); older versions do not persist.
  const p = head.protocol;
  return p.length === 8 && p.startsWith('HTTP/1.') && p.charCodeAt(7) > 0x31 && p.charCodeAt(7) <= 0x39;
}
