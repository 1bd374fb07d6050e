// HTTP/1.1 message encoder (RFC 9112): heads and body chunks in, wire bytes out.
//
//   start(head, length) ──► head parts ──────────┐
//   body(chunk) ───────────────────────────────► Framer ──► out(Buffer)
//   end(trailers) ─────────────────────────────────┘
//
// A head is the start line, the end-to-end header lines, then the framing this encoder
// decides (content-length / transfer-encoding / connection). Hop-by-hop fields of the
// previous hop never pass (RFC 9110 §7.6.1). A decoded head no script has touched is written
// from its bytes (head.ts, Wire): the start line and the header lines are copied as ranges,
// skipping only the lines the decoder flagged, with no string made per line. Other heads
// (a script's object, a touched head) are written as one latin1 string. The Framer then
// batches: a head and a body that is known or buffered leave as ONE Buffer; large chunks
// leave as views, never copied.

import { REASON_PHRASES } from './reason-phrases.ts';
import { ProtocolError } from '../../engine/errors.ts';
import { Conn, Field, HeadBase, SET_COOKIE_SEPARATOR, SPEC, materialisedWireOf, wireOf, type Headers, type RequestHead, type RequestHeadInit, type ResponseHead, type ResponseHeadInit, type Wire } from './head.ts';
import type { EncoderOptions, RequestEncoder, ResponseEncoder } from './types.ts';
import { CR, FIELD_VALUE, HTAB, LF, SP, TARGET, TOKEN, listHas } from './chars.ts';

export const DEFAULT_ENCODER_OPTIONS: Readonly<EncoderOptions> = Object.freeze({ bufferSize: 16 * 1024 });

/**
 * Chunks up to this size are copied into one Buffer with their chunk framing (one out()
 * instead of three). Measured here: allocUnsafe + copy costs ~0.5 us at 256 B, ~1.2 us at
 * 2 KiB, ~3.5 us at 16 KiB, against ~1 us or more per extra socket write: 2 KiB is about
 * where copying stops paying.
 */
const SMALL_CHUNK = 2048;

/**
 * Byte runs up to this length are copied by a JS loop: Buffer#copy of a range makes a view
 * and calls into C++, a fixed cost worth ~30 bytes of loop (measured on Node 20).
 */
const SHORT_COPY = 32;

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** Methods whose requests normally carry no content: no "content-length: 0" is invented. */
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

const Mode = {
  Idle: 0,
  NoBody: 1, // HEAD responses, 1xx, 204, 304: body bytes are dropped
  Length: 2, // length known ahead: content-length
  Buffer: 3, // length unknown: buffer up to bufferSize, then chunked
  Chunked: 4,
  Tunnel: 5, // 101, 2xx to CONNECT: body bytes pass raw
  UntilClose: 6, // length unknown and the connection closes after: body bytes pass raw
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

/** How a head ends (the Framer's `end` argument): a content-length >= 0, or one of these. */
const END_BLANK = -1; // just the empty line
const END_CHUNKED = -2; // transfer-encoding: chunked

/** What follows a copied byte range of a head. */
const SEP_NONE = 0;
const SEP_COLON = 1; // ": " (between a re-written line's name and value)
const SEP_CRLF = 2;

function normaliseOptions(opts?: Partial<EncoderOptions>): EncoderOptions {
  const o = { ...DEFAULT_ENCODER_OPTIONS, ...opts };
  if (!(o.bufferSize >= 0)) throw new RangeError('http1: invalid bufferSize ' + o.bufferSize);
  return o;
}

// ---- bytes -----------------------------------------------------------------------------------

/**
 * Buffer#latin1Write, what write(s, off, len, 'latin1') ends in, minus the encoding dispatch
 * (a visible share of a small response in bench/codec-http1.ts). Not in @types/node.
 */
const latin1Write: (this: Buffer, s: string, offset: number, length: number) => number =
  (Buffer.prototype as unknown as { latin1Write?: (this: Buffer, s: string, offset: number, length: number) => number }).latin1Write ??
  function (this: Buffer, s: string, offset: number, length: number): number {
    return this.write(s, offset, length, 'latin1');
  };

/** One Buffer holding the latin1 bytes of `s` (one char is one byte, RFC 9110 §5.5). */
function latin1(s: string): Buffer {
  const buf = Buffer.allocUnsafe(s.length);
  latin1Write.call(buf, s, 0, s.length);
  return buf;
}

/** Writes the latin1 bytes of `s` at `off`; returns the offset after them. */
function putText(buf: Buffer, off: number, s: string): number {
  const n = s.length;
  if (n > SHORT_COPY) return off + latin1Write.call(buf, s, off, n);
  for (let i = 0; i < n; i++) buf[off + i] = s.charCodeAt(i);
  return off + n;
}

/** Copies src[a, b) to buf at `off`; returns the offset after it. */
function putBytes(buf: Buffer, off: number, src: Buffer, a: number, b: number): number {
  if (b - a > SHORT_COPY) return off + src.copy(buf, off, a, b);
  while (a < b) buf[off++] = src[a++]!;
  return off;
}

function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes n (a safe integer >= 0) in decimal at `off`, `digits` long; returns the end. */
function putDecimal(buf: Buffer, off: number, n: number, digits: number): number {
  const end = off + digits;
  let i = end;
  do {
    const q = Math.floor(n / 10);
    buf[--i] = 0x30 + (n - q * 10);
    n = q;
  } while (i > off);
  return end;
}

const CONTENT_LENGTH = 'content-length: ';
const CHUNKED_END = 'transfer-encoding: chunked\r\n\r\n';

/** Bytes of the head ending `end` (see END_BLANK), after the lines. */
function endSize(end: number): number {
  if (end >= 0) return CONTENT_LENGTH.length + decimalDigits(end) + 4;
  return end === END_BLANK ? 2 : CHUNKED_END.length;
}

function putEnd(buf: Buffer, off: number, end: number): number {
  if (end >= 0) {
    off = putText(buf, off, CONTENT_LENGTH);
    off = putDecimal(buf, off, end, decimalDigits(end));
    buf[off] = CR;
    buf[off + 1] = LF;
    off += 2;
  } else if (end === END_CHUNKED) return putText(buf, off, CHUNKED_END);
  buf[off] = CR;
  buf[off + 1] = LF;
  return off + 2;
}

// ---- header lines ---------------------------------------------------------------------------

/** Status lines with the standard reason phrase, built once. */
const STATUS_LINES: string[] = [];
for (const [code, reason] of REASON_PHRASES) STATUS_LINES[code] = `HTTP/1.1 ${code} ${reason}\r\n`;

/** What header writing found, for the framing decision. One per encoder, reset per head. */
class HeadFacts {
  hasLength = false; // a content-length field was seen
  expectContinue = false;
}

/** Compares a token (already validated) with a lowercase name of letters and '-', no copy. */
function isName(name: string, lower: string): boolean {
  const n = lower.length;
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/**
 * Is this name hop-by-hop or framing (dropped, RFC 9110 §7.6.1)? Length first, so most names
 * cost one switch. `keepUpgrade` lets `upgrade` through for upgrade exchanges.
 */
function isHopByHop(name: string, keepUpgrade: boolean): boolean {
  switch (name.length) {
    case 2:
      return isName(name, 'te');
    case 7:
      return isName(name, 'trailer') || (!keepUpgrade && isName(name, 'upgrade'));
    case 10:
      return isName(name, 'connection') || isName(name, 'keep-alive');
    case 14:
      return isName(name, 'content-length');
    case 16:
      return isName(name, 'proxy-connection');
    case 17:
      return isName(name, 'transfer-encoding');
  }
  return false;
}

/** isHopByHop for a wire line's Field code. */
function isHopByHopCode(code: number, keepUpgrade: boolean): boolean {
  return code !== Field.Other && code !== Field.Expect && (code !== Field.Upgrade || !keepUpgrade);
}

/** Options named in Connection (RFC 9110 §7.6.1) other than the ones we handle ourselves. */
function connectionOptions(conn: string | undefined): string[] | null {
  if (conn === undefined) return null;
  const l = conn.toLowerCase();
  if (l === 'keep-alive' || l === 'close' || l === 'upgrade') return null; // the usual values
  let out: string[] | null = null;
  for (const part of l.split(',')) {
    const t = part.trim();
    if (t && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade') (out ??= []).push(t);
  }
  return out;
}

function checkName(name: string): void {
  const n = name.length;
  if (n === 0) throw new ProtocolError('invalid header name', '""');
  for (let i = 0; i < n; i++) {
    if (TOKEN[name.charCodeAt(i)] !== 1) throw new ProtocolError('invalid header name', JSON.stringify(name));
  }
}

/**
 * field-value chars only (RFC 9110 §5.5): a CR, LF or NUL here would let a value start a new
 * header or a new message (response splitting), so they are refused, with the other CTLs.
 */
function checkValue(value: string): void {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    if (FIELD_VALUE[value.charCodeAt(i)] !== 1) throw new ProtocolError('invalid header value (CR, LF, NUL or CTL)', JSON.stringify(value));
  }
}

function checkTable(s: string, table: Uint8Array, what: string): void {
  const n = s.length;
  if (n === 0) throw new ProtocolError(`empty ${what}`);
  for (let i = 0; i < n; i++) {
    if (table[s.charCodeAt(i)] !== 1) throw new ProtocolError(`invalid ${what}`, JSON.stringify(s));
  }
}

function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  if (v !== undefined) return v;
  for (const k in headers) if (k.length === name.length && k.toLowerCase() === name) return headers[k];
  return undefined;
}

/** ASCII lowercase of a byte (what String#toLowerCase does to these compares). */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** buf[a, b) is `lit` (lowercase) ignoring ASCII case. */
function bytesAre(buf: Buffer, a: number, b: number, lit: string): boolean {
  const n = lit.length;
  if (b - a !== n) return false;
  for (let i = 0; i < n; i++) if (lower(buf[a + i]!) !== lit.charCodeAt(i)) return false;
  return true;
}

/**
 * Can the wire head's lines be copied with only the flagged ones skipped? Not when a
 * Connection line names other fields to drop (connectionOptions non-null): those are found
 * by name over every line, the string way.
 */
function wireCopyable(w: Wire): boolean {
  return (w.flags & Conn.Other) === 0;
}

/**
 * For a decoded head whose `headers` a script read and then only added fields to (a routing
 * hook's `head.headers['x-route'] = ...`): the wire to copy the received lines from, with the
 * added lines in `copyPlan.added`. Null when anything received was changed, removed or
 * reordered, or an added field bears on framing or routing (hop-by-hop, expect, host): those
 * take headerLines(), which decides them.
 */
const copyPlan = { wire: null as Wire | null, added: '' };
function planCopy(head: object): boolean {
  const w = wireOf(head);
  if (w !== null) {
    copyPlan.wire = w;
    copyPlan.added = '';
    return wireCopyable(w);
  }
  const m = materialisedWireOf(head);
  if (m === null || !wireCopyable(m.wire)) return false;
  const h = (head as HeadBase).headers;
  const fields = m.fields;
  let i = 0;
  let added = '';
  for (const name in h) {
    const value = h[name];
    if (i < fields.length) {
      if (name !== fields[i] || value !== fields[i + 1]) return false;
      i += 2;
      continue;
    }
    if (value === undefined || value === null) continue;
    const v = String(value);
    if (isHopByHop(name, true) || isName(name, 'expect') || isName(name, 'host') || v.includes(SET_COOKIE_SEPARATOR)) return false;
    checkName(name);
    checkValue(v);
    added += name + ': ' + v + '\r\n';
  }
  if (i !== fields.length) return false;
  copyPlan.wire = m.wire;
  copyPlan.added = added;
  return true;
}

/**
 * Queues the header lines of wire head `w` from byte `from` (the start line's or the first
 * field line's start) into the framer: contiguous ranges, skipping the hop-by-hop lines and
 * re-writing the non-canonical ones as "name: value". Records into `facts`. The same lines
 * and bytes as headerLines() over rawHeaders(), without a string per line.
 */
function wireLines(f: Framer, w: Wire, from: number, facts: HeadFacts, keepUpgrade: boolean, keepLength: boolean): void {
  const spec = w.spec;
  const b = w.buf;
  let at = from;
  if (spec !== null) {
    for (let i = 0; i < spec.length; i += SPEC) {
      const flags = spec[i]!;
      const code = flags & Field.Name;
      if (isHopByHopCode(code, keepUpgrade)) {
        if (code !== Field.ContentLength || !keepLength) {
          if (code === Field.ContentLength) facts.hasLength = true;
          f.copy(at, spec[i + 1]!, SEP_NONE);
          at = spec[i + 5]!;
          continue;
        }
        facts.hasLength = true;
      } else if (code === Field.Expect && bytesAre(b, spec[i + 3]!, spec[i + 4]!, '100-continue')) facts.expectContinue = true;
      if ((flags & Field.NonCanonical) !== 0) {
        f.copy(at, spec[i + 2]!, SEP_COLON);
        f.copy(spec[i + 3]!, spec[i + 4]!, SEP_CRLF);
        at = spec[i + 5]!;
      }
    }
  }
  f.copy(at, w.end, SEP_NONE);
}

/**
 * Appends the end-to-end header lines of `head` to `s`. Records into `facts`.
 * `isUpgrade` keeps the Upgrade field. `keepLength` keeps content-length (HEAD responses).
 *
 * Raw lines read from a decoded head's bytes (`validated`) were checked byte by byte on the
 * way in and are not scanned again; everything else (a script's object, a hand-built raw
 * array) is validated here, name by name and value by value.
 */
function headerLines(
  s: string,
  head: { headers?: Headers } | HeadBase,
  facts: HeadFacts,
  isUpgrade: boolean,
  keepLength: boolean,
  validated: boolean,
): string {
  const raw = head instanceof HeadBase ? head.rawHeaders() : null;
  if (raw !== null) {
    let dropped: string[] | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (!validated) {
        checkName(name);
        checkValue(raw[i + 1]!);
      }
      if (name.length === 10 && isName(name, 'connection')) {
        const more = connectionOptions(raw[i + 1]);
        if (more !== null) dropped = dropped === null ? more : dropped.concat(more);
      }
    }
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      if (isHopByHop(name, isUpgrade)) {
        if (name.length !== 14) continue;
        facts.hasLength = true;
        if (!keepLength) continue;
      }
      if (name.length === 6 && isName(name, 'expect') && value.toLowerCase() === '100-continue') facts.expectContinue = true;
      if (dropped !== null && dropped.includes(name.toLowerCase())) continue;
      s += name + ': ' + value + '\r\n';
    }
    return s;
  }
  const headers = (head as { headers?: Headers }).headers;
  if (!headers) return s;
  const dropped = connectionOptions(headerValue(headers, 'connection'));
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || value === null) continue;
    const v = String(value);
    checkName(name);
    if (isHopByHop(name, isUpgrade)) {
      if (name.length !== 14) continue;
      checkValue(v);
      facts.hasLength = true;
      if (!keepLength) continue;
    }
    if (dropped !== null && dropped.includes(name.toLowerCase())) continue;
    if (name.length === 6 && isName(name, 'expect') && v.toLowerCase() === '100-continue') facts.expectContinue = true;
    if (name.length === 10 && isName(name, 'set-cookie') && v.includes(SET_COOKIE_SEPARATOR)) {
      // Set-Cookie lines cannot be folded into one (RFC 6265 §3): one line each.
      for (const one of v.split(SET_COOKIE_SEPARATOR)) {
        checkValue(one);
        s += name + ': ' + one + '\r\n';
      }
      continue;
    }
    checkValue(v);
    s += name + ': ' + v + '\r\n';
  }
  return s;
}

// ---- body framing ----------------------------------------------------------------------------

/**
 * Body framing and batching, shared by both encoders.
 *
 * The head waiting to be written is kept as parts, not text: `#text` (the start line or the
 * whole head as a string), byte ranges of a decoded head's buffer (`#src`, triples in
 * `#ranges`: from, to, SEP_*), then `#extra` (lines the encoder adds), then how it ends
 * (END_* or a content-length). #build writes all of it into one Buffer with room for body
 * bytes after it.
 */
class Framer {
  readonly #out: (buf: Buffer) => void;
  readonly #bufferSize: number;
  #mode: Mode = Mode.Idle;
  /** A head is waiting: Length mode holds it for the first body chunk, Buffer mode to the end. */
  #pending = false;
  #text = '';
  #src: Buffer | null = null;
  #ranges: number[] = [];
  #nRanges = 0;
  #extra = '';
  /** Bytes of #text, the ranges and #extra. */
  #headBytes = 0;
  /** Length mode: how the pending head ends. */
  #end = END_BLANK;
  #length = 0; // Length: declared; others: bytes seen
  #sent = 0;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #omitZeroLength = false;
  #closeDelimited = false;

  constructor(out: (buf: Buffer) => void, bufferSize: number) {
    this.#out = out;
    this.#bufferSize = bufferSize;
  }

  /**
   * Called by start(): a previous message not ended would be lost (a buffered one was never
   * written) or would corrupt the stream (an open chunked body). A message whose bytes are
   * all out (no-body, complete length, tunnel) may simply be followed.
   */
  next(): void {
    const m = this.#mode;
    if (m === Mode.Buffer || m === Mode.Chunked || (m === Mode.Length && (this.#pending || this.#sent !== this.#length))) {
      throw new ProtocolError('start() before end() of the previous message');
    }
    this.#mode = Mode.Idle;
  }

  /** Starts a head: `text` first, then ranges of `src` (see copy). */
  begin(text: string, src: Buffer | null): void {
    this.#text = text;
    this.#src = src;
    this.#nRanges = 0;
    this.#extra = '';
    this.#headBytes = text.length;
  }

  /** Appends src[a, b) and the separator `sep` to the head. */
  copy(a: number, b: number, sep: number): void {
    if (a === b && sep === SEP_NONE) return;
    const r = this.#ranges;
    const i = this.#nRanges;
    r[i] = a;
    r[i + 1] = b;
    r[i + 2] = sep;
    this.#nRanges = i + 3;
    this.#headBytes += b - a + (sep === SEP_NONE ? 0 : 2);
  }

  /** Lines the encoder adds after the received ones (fields a script added, connection: ...). */
  addLines(s: string): void {
    this.#extra += s;
    this.#headBytes += s.length;
  }

  /** A complete head, no body to follow. */
  noBody(): void {
    this.#mode = Mode.NoBody;
    this.#out(this.#build(END_BLANK, 0));
  }

  tunnel(): void {
    this.#mode = Mode.Tunnel;
    this.#out(this.#build(END_BLANK, 0));
  }

  /** The head gets content-length; `flushNow` writes it before any body (100-continue). */
  length(length: number, flushNow: boolean): void {
    this.#mode = Mode.Length;
    this.#length = length;
    this.#sent = 0;
    this.#end = length;
    if (length === 0 || flushNow) this.#out(this.#build(length, 0));
    else this.#pending = true; // wait for the first body chunk: one write for both
  }

  /**
   * Length-less message with content-length omitted when nothing arrives (`omitZero`).
   * `closeDelimited`: if the body outgrows the buffer, end it by closing the connection
   * instead of chunking (RFC 9112 §6.3 ¶8) - the one framing an HTTP/1.0 client can read.
   */
  buffer(omitZero: boolean, closeDelimited = false): void {
    this.#closeDelimited = closeDelimited;
    this.#mode = Mode.Buffer;
    this.#pending = true;
    this.#buffered = 0;
    this.#omitZeroLength = omitZero;
  }

  /** A head with no framing decided (content-length of 0 omitted), flushed now. */
  bare(): void {
    this.#mode = Mode.Length;
    this.#length = 0;
    this.#sent = 0;
    this.#out(this.#build(END_BLANK, 0));
  }

  body(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    switch (this.#mode) {
      case Mode.Length: {
        this.#sent += n;
        if (this.#sent > this.#length) throw new ProtocolError('body longer than content-length', `${this.#sent} > ${this.#length}`);
        if (this.#pending) {
          this.#pending = false;
          if (n <= this.#bufferSize) {
            const buf = this.#build(this.#end, n);
            putBytes(buf, buf.length - n, chunk, 0, n);
            this.#out(buf);
          } else {
            this.#out(this.#build(this.#end, 0));
            this.#out(chunk);
          }
        } else this.#out(chunk);
        return;
      }
      case Mode.Buffer:
        this.#chunks.push(chunk);
        this.#buffered += n;
        if (this.#buffered > this.#bufferSize) this.#toChunked();
        return;
      case Mode.Chunked:
        this.#chunk(chunk);
        return;
      case Mode.Tunnel:
      case Mode.UntilClose:
        this.#out(chunk);
        return;
      case Mode.Idle:
        throw new ProtocolError('body without a head');
      default: // NoBody: HEAD / 1xx / 204 / 304 carry no content (RFC 9110 §6.4.1)
        return;
    }
  }

  end(trailers: Headers | null): void {
    const mode = this.#mode;
    this.#mode = Mode.Idle;
    switch (mode) {
      case Mode.Length: {
        if (this.#pending) {
          this.#pending = false;
          this.#out(this.#build(this.#end, 0));
        }
        if (this.#sent !== this.#length) throw new ProtocolError('body shorter than content-length', `${this.#sent} < ${this.#length}`);
        return;
      }
      case Mode.Buffer: {
        if (trailers !== null && hasFields(trailers) && !this.#closeDelimited) {
          // Trailers need chunked framing (RFC 9112 §7.1.2); dropping them (allowed by
          // RFC 9110 §6.5.1) would lose e.g. gRPC status.
          this.#toChunked();
          this.#mode = Mode.Idle;
          this.#out(latin1('0\r\n' + trailerLines(trailers) + '\r\n'));
          return;
        }
        // The whole body is here: send it with its exact length, head and body in one Buffer.
        this.#pending = false;
        const size = this.#buffered;
        const buf = this.#build(size === 0 && this.#omitZeroLength ? END_BLANK : size, size);
        this.#putChunks(buf, buf.length - size);
        this.#out(buf);
        return;
      }
      case Mode.Chunked:
        this.#out(trailers === null ? LAST_CHUNK : latin1('0\r\n' + trailerLines(trailers) + '\r\n'));
        return;
      case Mode.Idle:
        throw new ProtocolError('end without a head');
      default:
        return;
    }
  }

  /** One Buffer: the head ending `end`, then `room` bytes the caller fills. */
  #build(end: number, room: number): Buffer {
    if (end === END_BLANK && room === 0 && this.#nRanges === 3 && this.#text === '' && this.#extra === '' && this.#ranges[2] === SEP_NONE) {
      // A decoded head passed on unchanged (start line and every line kept, no framing line
      // added: a GET without a body, say) is the bytes it came in: a view, nothing copied.
      // CRLF right after the range can only be the head's empty line (no line starts with CR).
      const src = this.#src!;
      const a = this.#ranges[0]!;
      const b = this.#ranges[1]!;
      if (src[b] === CR && src[b + 1] === LF) {
        this.#src = null;
        return a === 0 && b + 2 === src.length ? src : src.subarray(a, b + 2);
      }
    }
    const buf = Buffer.allocUnsafe(this.#headBytes + endSize(end) + room);
    let off = putText(buf, 0, this.#text);
    const src = this.#src;
    if (src !== null) {
      const r = this.#ranges;
      const n = this.#nRanges;
      for (let i = 0; i < n; i += 3) {
        off = putBytes(buf, off, src, r[i]!, r[i + 1]!);
        const sep = r[i + 2]!;
        if (sep !== SEP_NONE) {
          buf[off] = sep === SEP_COLON ? 0x3a : CR;
          buf[off + 1] = sep === SEP_COLON ? SP : LF;
          off += 2;
        }
      }
      this.#src = null; // the decoded head's bytes are not kept past the write
    }
    off = putText(buf, off, this.#extra);
    putEnd(buf, off, end);
    this.#text = '';
    return buf;
  }

  /** Copies the buffered chunks to buf at `off` and forgets them. */
  #putChunks(buf: Buffer, off: number): number {
    const chunks = this.#chunks;
    this.#chunks = [];
    for (const c of chunks) {
      c.copy(buf, off);
      off += c.length;
    }
    return off;
  }

  /** Switches a buffering message to chunked: head and what was buffered, in one Buffer. */
  #toChunked(): void {
    const size = this.#buffered;
    this.#pending = false;
    if (this.#closeDelimited) {
      this.#mode = Mode.UntilClose;
      const buf = this.#build(END_BLANK, size);
      this.#putChunks(buf, buf.length - size);
      this.#out(buf);
      return;
    }
    this.#mode = Mode.Chunked;
    if (size === 0) {
      this.#chunks = [];
      this.#out(this.#build(END_CHUNKED, 0)); // nothing buffered: no zero-size chunk, that would end the body
      return;
    }
    // Head, size line, buffered data and CRLF in one Buffer: the buffered data is small.
    const line = size.toString(16) + '\r\n';
    const buf = this.#build(END_CHUNKED, line.length + size + 2);
    let off = putText(buf, buf.length - size - 2 - line.length, line);
    off = this.#putChunks(buf, off);
    buf[off] = CR;
    buf[off + 1] = LF;
    this.#out(buf);
  }

  /** One chunk (RFC 9112 §7.1): copied with its framing when small, else three writes. */
  #chunk(chunk: Buffer): void {
    const n = chunk.length;
    const line = n.toString(16) + '\r\n';
    if (n <= SMALL_CHUNK) {
      const buf = Buffer.allocUnsafe(line.length + n + 2);
      const off = putText(buf, 0, line);
      chunk.copy(buf, off);
      buf[off + n] = CR;
      buf[off + n + 1] = LF;
      this.#out(buf);
    } else {
      this.#out(latin1(line));
      this.#out(chunk);
      this.#out(CRLF);
    }
  }
}

function hasFields(h: Headers): boolean {
  for (const _ in h) return true;
  return false;
}

/** Trailer fields (RFC 9112 §7.1.2), minus the ones that may not be trailers. */
function trailerLines(trailers: Headers): string {
  let s = '';
  for (const name in trailers) {
    const v = trailers[name];
    if (v === undefined) continue;
    checkName(name);
    checkValue(v);
    if (isHopByHop(name, false) || isName(name, 'host')) continue;
    s += name + ': ' + v + '\r\n';
  }
  return s;
}

// ---- encoders --------------------------------------------------------------------------------

class Http1RequestEncoder implements RequestEncoder {
  readonly #framer: Framer;
  readonly #facts = new HeadFacts();

  constructor(out: (buf: Buffer) => void, opts?: Partial<EncoderOptions>) {
    this.#framer = new Framer(out, normaliseOptions(opts).bufferSize);
  }

  start(head: RequestHead | RequestHeadInit, length: number): void {
    const f = this.#framer;
    f.next();
    const method = head.method || 'GET';
    const path = head.path || '/';
    const facts = this.#facts;
    facts.hasLength = false;
    facts.expectContinue = false;
    let isUpgrade: boolean;
    if (planCopy(head)) {
      // A decoded head no script touched (or only added to): its own bytes, the start line
      // too when unchanged.
      const w = copyPlan.wire!;
      isUpgrade = (w.flags & (Conn.UpgradeField | Conn.Upgrade)) === (Conn.UpgradeField | Conn.Upgrade);
      if (method === w.method && path === w.path && w.sameLine) {
        f.begin('', w.buf);
        wireLines(f, w, w.start, facts, isUpgrade, false);
      } else {
        checkTable(method, TOKEN, 'method');
        checkTable(path, TARGET, 'request-target');
        f.begin(method + ' ' + path + ' HTTP/1.1\r\n', w.buf);
        wireLines(f, w, w.fields, facts, isUpgrade, false);
      }
      if (copyPlan.added !== '') f.addLines(copyPlan.added);
      copyPlan.wire = null;
    } else {
      checkTable(method, TOKEN, 'method');
      checkTable(path, TARGET, 'request-target'); // no SP, CR, LF, NUL: the line must not split
      const upgrade = headerOf(head, 'upgrade');
      isUpgrade = upgrade !== undefined && listHas(headerOf(head, 'connection'), 'upgrade');
      f.begin(headerLines(method + ' ' + path + ' HTTP/1.1\r\n', head, facts, isUpgrade, false, wireOf(head) !== null), null);
    }
    if (isUpgrade) f.addLines('connection: upgrade\r\n');
    const omitZero = NO_BODY_METHODS.has(method) && !facts.hasLength;
    if (length > 0 || (length === 0 && !omitZero)) f.length(length, facts.expectContinue);
    else if (length === 0) f.bare();
    else f.buffer(omitZero);
  }

  body(chunk: Buffer): void {
    this.#framer.body(chunk);
  }

  end(trailers: Record<string, string> | null): void {
    this.#framer.end(trailers);
  }
}

class Http1ResponseEncoder implements ResponseEncoder {
  readonly #framer: Framer;
  readonly #facts = new HeadFacts();

  constructor(out: (buf: Buffer) => void, opts?: Partial<EncoderOptions>) {
    this.#framer = new Framer(out, normaliseOptions(opts).bufferSize);
  }

  start(head: ResponseHead | ResponseHeadInit, length: number, requestMethod: string, keepAlive: boolean): void {
    const f = this.#framer;
    f.next();
    const status = head.status ?? 200;
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new ProtocolError('invalid status', String(status));
    const text = head.statusText;
    const facts = this.#facts;
    facts.hasLength = false;
    facts.expectContinue = false;
    const isHead = requestMethod === 'HEAD';
    const tunnel = status === 101 || (requestMethod === 'CONNECT' && status >= 200 && status < 300);
    const noBody = isHead || (status < 200 && status !== 101) || status === 204 || status === 304;
    // A HEAD response keeps its own content-length: it describes the GET it stands for
    // (RFC 9110 §9.3.2). Everything else is framed by us.
    if (planCopy(head)) {
      const w = copyPlan.wire!;
      if (status === w.status && text === w.statusText && w.sameLine) {
        f.begin('', w.buf);
        wireLines(f, w, w.start, facts, status === 101, isHead);
      } else {
        f.begin(statusLine(status, text), w.buf);
        wireLines(f, w, w.fields, facts, status === 101, isHead);
      }
      if (copyPlan.added !== '') f.addLines(copyPlan.added);
      copyPlan.wire = null;
    } else f.begin(headerLines(statusLine(status, text), head, facts, status === 101, isHead, wireOf(head) !== null), null);
    if (status === 101) f.addLines('connection: upgrade\r\n');
    else if (!keepAlive && status >= 200) f.addLines('connection: close\r\n');
    // RFC 9112 §6.3: the order in which a recipient determines the length, mirrored.
    if (tunnel) f.tunnel();
    else if (noBody) f.noBody();
    else if (length >= 0) f.length(length, false);
    else f.buffer(false, !keepAlive);
  }

  body(chunk: Buffer): void {
    this.#framer.body(chunk);
  }

  end(trailers: Record<string, string> | null): void {
    this.#framer.end(trailers);
  }
}

/** The status line for `status` and reason `text` (standard phrase when none is given). */
function statusLine(status: number, text: string | undefined): string {
  let line: string | undefined;
  if (!text || text === REASON_PHRASES.get(status)) line = STATUS_LINES[status];
  if (line === undefined) {
    const reason = text || REASON_PHRASES.get(status) || '';
    if (reason) checkValue(reason); // reason-phrase: field-vchar / SP / HTAB (RFC 9112 §4)
    line = 'HTTP/1.1 ' + status + ' ' + reason + '\r\n';
  }
  return line;
}

function headerOf(head: { headers?: Headers } | HeadBase, name: string): string | undefined {
  if (head instanceof HeadBase) return head.header(name);
  return head.headers ? headerValue(head.headers, name) : undefined;
}

export function createRequestEncoder(out: (buf: Buffer) => void, opts?: Partial<EncoderOptions>): RequestEncoder {
  return new Http1RequestEncoder(out, opts);
}

export function createResponseEncoder(out: (buf: Buffer) => void, opts?: Partial<EncoderOptions>): ResponseEncoder {
  return new Http1ResponseEncoder(out, opts);
}

export { wantsKeepAlive } from './decoder.ts';
