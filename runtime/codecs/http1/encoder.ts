// HTTP/1.1 message encoder (RFC 9112): heads and body chunks in, wire bytes out.
//
//   start(head, length) ──► head text (latin1) ──┐
//   body(chunk) ───────────────────────────────► Framer ──► out(Buffer)
//   end(trailers) ─────────────────────────────────┘
//
// The head is built as one latin1 string: the start line, the end-to-end header lines (raw as
// received when the head was never touched, else from the headers object), then the framing
// this encoder decides (content-length / transfer-encoding / connection). Hop-by-hop fields of
// the previous hop never pass (RFC 9110 §7.6.1). The Framer then batches: a head and a body
// that is known or buffered leave as ONE Buffer; large chunks leave as views, never copied.

import { STATUS_CODES } from 'node:http';
import { ProtocolError } from '../../engine/errors.ts';
import { HeadBase, SET_COOKIE_SEPARATOR, type Headers, type RequestHead, type RequestHeadInit, type ResponseHead, type ResponseHeadInit } from './head.ts';
import type { EncoderOptions, RequestEncoder, ResponseEncoder } from './types.ts';
import { FIELD_VALUE, MASK_LINES, TARGET, TOKEN, VALIDATED, listHas, type ValidatedRaw } from './chars.ts';

export const DEFAULT_ENCODER_OPTIONS: Readonly<EncoderOptions> = Object.freeze({ bufferSize: 16 * 1024 });

/**
 * Chunks up to this size are copied into one Buffer with their chunk framing (one out()
 * instead of three). Measured here: allocUnsafe + copy costs ~0.5 us at 256 B, ~1.2 us at
 * 2 KiB, ~3.5 us at 16 KiB, against ~1 us or more per extra socket write: 2 KiB is about
 * where copying stops paying.
 */
const SMALL_CHUNK = 2048;

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

function normaliseOptions(opts?: Partial<EncoderOptions>): EncoderOptions {
  const o = { ...DEFAULT_ENCODER_OPTIONS, ...opts };
  if (!(o.bufferSize >= 0)) throw new RangeError('http1: invalid bufferSize ' + o.bufferSize);
  return o;
}

// ---- header lines ---------------------------------------------------------------------------

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

/** Status lines with the standard reason phrase, built once. */
const STATUS_LINES: string[] = [];
for (const code in STATUS_CODES) STATUS_LINES[Number(code)] = `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\n`;

/** What header writing found, for the framing decision. One per encoder, reset per head. */
class HeadFacts {
  contentLength: string | undefined = undefined; // value of a content-length field seen
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

/**
 * Appends the end-to-end header lines of `head` to `s`. Records into `facts`.
 * `isUpgrade` keeps the Upgrade field. `keepLength` keeps content-length (HEAD responses).
 *
 * Raw lines straight from our decoder (tagged VALIDATED) were checked byte by byte on the way
 * in and are not scanned again; everything else (a script's object, a hand-built raw array)
 * is validated here, name by name and value by value.
 */
function headerLines(
  s: string,
  head: { headers?: Headers } | HeadBase,
  facts: HeadFacts,
  isUpgrade: boolean,
  keepLength: boolean,
): string {
  const raw = head instanceof HeadBase ? (head.rawHeaders() as ValidatedRaw | null) : null;
  if (raw !== null) {
    const mask = raw[VALIDATED];
    let dropped: string[] | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (mask === undefined) {
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
      const h = i >> 1;
      // Lines the decoder did not flag need no look at their name (see VALIDATED).
      if (mask === undefined || h >= MASK_LINES || (mask & (1 << h)) !== 0) {
        if (isHopByHop(name, isUpgrade)) {
          if (name.length !== 14) continue;
          facts.contentLength = value;
          if (!keepLength) continue;
        }
        if (name.length === 6 && isName(name, 'expect') && value.toLowerCase() === '100-continue') facts.expectContinue = true;
      }
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
      facts.contentLength = v;
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

/** Body framing and batching, shared by both encoders. */
class Framer {
  readonly #out: (buf: Buffer) => void;
  readonly #bufferSize: number;
  #mode: Mode = Mode.Idle;
  /** Head text not yet written (with its trailing CRLF unless the framing is still open). */
  #head: string | null = null;
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
    if (m === Mode.Buffer || m === Mode.Chunked || (m === Mode.Length && (this.#head !== null || this.#sent !== this.#length))) {
      throw new ProtocolError('start() before end() of the previous message');
    }
    this.#mode = Mode.Idle;
  }

  /** A complete head (ending in CRLFCRLF), no body to follow. */
  noBody(head: string): void {
    this.#mode = Mode.NoBody;
    this.#out(latin1(head));
  }

  tunnel(head: string): void {
    this.#mode = Mode.Tunnel;
    this.#out(latin1(head));
  }

  /** `head` lacks the framing line; `flushNow` writes the head before any body (100-continue). */
  length(head: string, length: number, flushNow: boolean): void {
    this.#mode = Mode.Length;
    this.#length = length;
    this.#sent = 0;
    const full = head + 'content-length: ' + length + '\r\n\r\n';
    if (length === 0 || flushNow) this.#out(latin1(full));
    else this.#head = full; // wait for the first body chunk: one write for both
  }

  /** Length-less message with content-length omitted when nothing arrives (`omitZero`). */
  /**
   * `closeDelimited`: if the body outgrows the buffer, end it by closing the connection
   * instead of chunking (RFC 9112 §6.3 ¶8) - the one framing an HTTP/1.0 client can read.
   */
  buffer(head: string, omitZero: boolean, closeDelimited = false): void {
    this.#closeDelimited = closeDelimited;
    this.#mode = Mode.Buffer;
    this.#head = head;
    this.#buffered = 0;
    this.#omitZeroLength = omitZero;
  }

  /** A head with no framing decided (content-length of 0 omitted), flushed now. */
  bare(head: string): void {
    this.#mode = Mode.Length;
    this.#length = 0;
    this.#sent = 0;
    this.#out(latin1(head + '\r\n'));
  }

  body(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    switch (this.#mode) {
      case Mode.Length: {
        this.#sent += n;
        if (this.#sent > this.#length) throw new ProtocolError('body longer than content-length', `${this.#sent} > ${this.#length}`);
        const head = this.#head;
        if (head !== null) {
          this.#head = null;
          this.#writeWith(head, chunk, n <= this.#bufferSize);
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
        const head = this.#head;
        this.#head = null;
        if (head !== null) this.#out(latin1(head));
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
        const head = this.#head!;
        this.#head = null;
        const size = this.#buffered;
        const text = size === 0 && this.#omitZeroLength ? head + '\r\n' : head + 'content-length: ' + size + '\r\n\r\n';
        const chunks = this.#chunks;
        this.#chunks = [];
        const hl = text.length;
        const buf = Buffer.allocUnsafe(hl + size);
        latin1Write.call(buf, text, 0, hl);
        let off = hl;
        for (const c of chunks) {
          c.copy(buf, off);
          off += c.length;
        }
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

  /** Switches a buffering message to chunked: head and what was buffered, in one Buffer. */
  #toChunked(): void {
    const chunks = this.#chunks;
    this.#chunks = [];
    const size = this.#buffered;
    if (this.#closeDelimited) {
      const head = this.#head! + '\r\n';
      this.#head = null;
      this.#mode = Mode.UntilClose;
      const buf = Buffer.allocUnsafe(head.length + size);
      let off = latin1Write.call(buf, head, 0, head.length);
      for (const c of chunks) {
        c.copy(buf, off);
        off += c.length;
      }
      this.#out(buf);
      return;
    }
    const head = this.#head! + 'transfer-encoding: chunked\r\n\r\n';
    this.#head = null;
    this.#mode = Mode.Chunked;
    if (size === 0) {
      this.#out(latin1(head)); // nothing buffered: no zero-size chunk, that would end the body
      return;
    }
    // Head, size line, buffered data and CRLF in one Buffer: the buffered data is small.
    const text = head + size.toString(16) + '\r\n';
    const buf = Buffer.allocUnsafe(text.length + size + 2);
    let off = latin1Write.call(buf, text, 0, text.length);
    for (const c of chunks) {
      c.copy(buf, off);
      off += c.length;
    }
    buf[off] = 0x0d;
    buf[off + 1] = 0x0a;
    this.#out(buf);
  }

  /** One chunk (RFC 9112 §7.1): copied with its framing when small, else three writes. */
  #chunk(chunk: Buffer): void {
    const n = chunk.length;
    const line = n.toString(16) + '\r\n';
    if (n <= SMALL_CHUNK) {
      const buf = Buffer.allocUnsafe(line.length + n + 2);
      const off = latin1Write.call(buf, line, 0, line.length);
      chunk.copy(buf, off);
      buf[off + n] = 0x0d;
      buf[off + n + 1] = 0x0a;
      this.#out(buf);
    } else {
      this.#out(latin1(line));
      this.#out(chunk);
      this.#out(CRLF);
    }
  }

  #writeWith(head: string, chunk: Buffer, batch: boolean): void {
    if (!batch) {
      this.#out(latin1(head));
      this.#out(chunk);
      return;
    }
    const hl = head.length;
    const buf = Buffer.allocUnsafe(hl + chunk.length);
    latin1Write.call(buf, head, 0, hl);
    chunk.copy(buf, hl);
    this.#out(buf);
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
    this.#framer.next();
    const method = head.method || 'GET';
    const path = head.path || '/';
    checkTable(method, TOKEN, 'method');
    checkTable(path, TARGET, 'request-target'); // no SP, CR, LF, NUL: the line must not split
    const facts = this.#facts;
    facts.contentLength = undefined;
    facts.expectContinue = false;
    const upgrade = headerOf(head, 'upgrade');
    const isUpgrade = upgrade !== undefined && listHas(headerOf(head, 'connection'), 'upgrade');
    let s = headerLines(method + ' ' + path + ' HTTP/1.1\r\n', head, facts, isUpgrade, false);
    if (isUpgrade) s += 'connection: upgrade\r\n';
    const omitZero = NO_BODY_METHODS.has(method) && facts.contentLength === undefined;
    const f = this.#framer;
    if (length > 0 || (length === 0 && !omitZero)) f.length(s, length, facts.expectContinue);
    else if (length === 0) f.bare(s);
    else f.buffer(s, omitZero);
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
    this.#framer.next();
    const status = head.status ?? 200;
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new ProtocolError('invalid status', String(status));
    const text = head.statusText;
    let line: string | undefined;
    if (!text || text === STATUS_CODES[status]) line = STATUS_LINES[status];
    if (line === undefined) {
      const reason = text || STATUS_CODES[status] || '';
      if (reason) checkValue(reason); // reason-phrase: field-vchar / SP / HTAB (RFC 9112 §4)
      line = 'HTTP/1.1 ' + status + ' ' + reason + '\r\n';
    }
    const facts = this.#facts;
    facts.contentLength = undefined;
    facts.expectContinue = false;
    const isHead = requestMethod === 'HEAD';
    const tunnel = status === 101 || (requestMethod === 'CONNECT' && status >= 200 && status < 300);
    const noBody = isHead || (status < 200 && status !== 101) || status === 204 || status === 304;
    // A HEAD response keeps its own content-length: it describes the GET it stands for
    // (RFC 9110 §9.3.2). Everything else is framed by us.
    let s = headerLines(line, head, facts, status === 101, isHead);
    if (status === 101) s += 'connection: upgrade\r\n';
    else if (!keepAlive && status >= 200) s += 'connection: close\r\n';
    const f = this.#framer;
    // RFC 9112 §6.3: the order in which a recipient determines the length, mirrored.
    if (tunnel) f.tunnel(s + '\r\n');
    else if (noBody) f.noBody(s + '\r\n');
    else if (length >= 0) f.length(s, length, false);
    else f.buffer(s, false, !keepAlive);
  }

  body(chunk: Buffer): void {
    this.#framer.body(chunk);
  }

  end(trailers: Record<string, string> | null): void {
    this.#framer.end(trailers);
  }
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
