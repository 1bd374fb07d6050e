// HTTP message heads.
//
// A head produced by the decoder keeps the bytes it was decoded from (a view of the input
// chunk: the decoder's callers hand over chunks they never reuse) plus the few line offsets
// the proxy path needs (Wire). No string is made for a header line until a script asks:
// `header(name)` reads one from the bytes, `rawHeaders()` makes the [name, value, ...] array,
// `headers` builds the lowercase object. A proxy that never looks re-encodes from the bytes.
//
// Scripts may also use plain objects as heads (`{ status: 404, headers: {...} }`): encoders
// accept anything shaped like RequestHeadInit / ResponseHeadInit.

import { COLON, CR, HTAB, SP } from './chars.ts';

export type Headers = Record<string, string>;

export interface RequestHeadInit {
  method?: string;
  path?: string;
  protocol?: string;
  headers?: Headers;
}

export interface ResponseHeadInit {
  status?: number;
  statusText?: string;
  protocol?: string;
  headers?: Headers;
}

/**
 * Multiple Set-Cookie lines cannot be joined with commas (RFC 6265 §3), so when a head is
 * materialised they are joined with '\n'; encoders split them back into separate lines.
 */
export const SET_COOKIE_SEPARATOR = '\n';

/**
 * Names the codec must look at: hop-by-hop and framing fields (RFC 9110 §7.6.1) and Expect.
 * Codec-private. The decoder records a line (Wire.spec) when its name is one of these or
 * when it is not written canonically ("Name: value", one SP, no trailing OWS).
 */
export const Field = {
  Other: 0,
  Te: 1,
  Trailer: 2,
  Upgrade: 3,
  Connection: 4,
  KeepAlive: 5,
  ContentLength: 6,
  ProxyConnection: 7,
  TransferEncoding: 8,
  Expect: 9,
  /** Flag on top of the name code: re-written as "name: value" by the encoder. */
  NonCanonical: 0x10,
  /** Mask of the name code. */
  Name: 0x0f,
} as const;

/** Ints per Wire.spec entry: code, line start, name end (the colon), value start, value end, line end. */
export const SPEC = 6;

/**
 * Wire.flags: what the Connection and Upgrade lines say (RFC 9110 §7.6.1, §7.8, RFC 9112
 * §9.3), summed up by the decoder so that nobody reads them again per message. Connection
 * elements are compared with OWS (SP / HTAB) trimmed and ASCII case ignored, as listHas().
 */
export const Conn = {
  /** A Connection line is present. */
  Present: 1,
  Close: 2,
  KeepAlive: 4,
  Upgrade: 8,
  /** An element other than close, keep-alive or upgrade: a field name to drop. */
  Other: 16,
  /** An Upgrade line is present. */
  UpgradeField: 32,
} as const;

/**
 * The bytes of a decoded head, all validated by the decoder: buf[start, fields) is the start
 * line with its CRLF, buf[fields, end) the field lines each with its CRLF (end is the final
 * empty line's CR). Codec-private.
 */
export class Wire {
  readonly buf: Buffer;
  readonly start: number;
  readonly fields: number;
  readonly end: number;
  /** SPEC ints per line the encoder must look at (see Field), in line order; null: none. */
  readonly spec: number[] | null;
  /** Conn flags. */
  readonly flags: number;
  /**
   * The start line as decoded (method and path, or status and reason), and whether its bytes
   * are exactly what the encoder would write for them (HTTP/1.1, a reason phrase present).
   */
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly statusText: string;
  readonly sameLine: boolean;

  constructor(
    buf: Buffer,
    start: number,
    fields: number,
    end: number,
    spec: number[] | null,
    flags: number,
    method: string,
    path: string,
    status: number,
    statusText: string,
    sameLine: boolean,
  ) {
    this.buf = buf;
    this.start = start;
    this.fields = fields;
    this.end = end;
    this.spec = spec;
    this.flags = flags;
    this.method = method;
    this.path = path;
    this.status = status;
    this.statusText = statusText;
    this.sameLine = sameLine;
  }
}

/**
 * Buffer#latin1Slice is what toString('latin1') ends in, minus the encoding dispatch. It is
 * not in @types/node, hence the cast; toString is the fallback should it ever go away.
 * latin1: one byte is one char, so obs-text survives a decode/encode round trip.
 */
export const latin1Slice: (this: Buffer, start: number, end: number) => string =
  (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, start: number, end: number) => string }).latin1Slice ??
  function (this: Buffer, start: number, end: number): string {
    return this.toString('latin1', start, end);
  };

/** The field code of a lowercase name (Field.Other when it is none of them). */
export function fieldCode(name: string): number {
  switch (name.length) {
    case 2:
      return name === 'te' ? Field.Te : Field.Other;
    case 6:
      return name === 'expect' ? Field.Expect : Field.Other;
    case 7:
      return name === 'upgrade' ? Field.Upgrade : name === 'trailer' ? Field.Trailer : Field.Other;
    case 10:
      return name === 'connection' ? Field.Connection : name === 'keep-alive' ? Field.KeepAlive : Field.Other;
    case 14:
      return name === 'content-length' ? Field.ContentLength : Field.Other;
    case 16:
      return name === 'proxy-connection' ? Field.ProxyConnection : Field.Other;
    case 17:
      return name === 'transfer-encoding' ? Field.TransferEncoding : Field.Other;
  }
  return Field.Other;
}

/** ASCII lowercase of a byte (A-Z only: what String#toLowerCase does to a token). */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * The [name, value, ...] strings of a wire head, as the decoder used to build them: one
 * native call turns the field lines into text, V8's string search finds each line's colon
 * and CR (names hold no colon, values no CR: the decoder checked), and slices of the text
 * are cheap.
 */
function rawOf(w: Wire): string[] {
  const raw: string[] = [];
  if (w.end === w.fields) return raw;
  const text = latin1Slice.call(w.buf, w.fields, w.end);
  const n = text.length;
  let p = 0;
  while (p < n) {
    const q = text.indexOf(':', p);
    let v = q + 1;
    let c = text.charCodeAt(v);
    while (c === SP || c === HTAB) c = text.charCodeAt(++v);
    const k = text.indexOf('\r', v);
    let last = k;
    while (last > v && ((c = text.charCodeAt(last - 1)) === SP || c === HTAB)) last--;
    raw.push(text.slice(p, q), text.slice(v, last));
    p = k + 2;
  }
  return raw;
}

/** header(name) on a wire head: framing names from the spec lines, others by a scan. */
function wireHeader(w: Wire, name: string): string | undefined {
  const code = fieldCode(name);
  const b = w.buf;
  let found: string | undefined;
  if (code !== Field.Other) {
    const spec = w.spec;
    if (spec === null) return undefined;
    for (let i = 0; i < spec.length; i += SPEC) {
      if ((spec[i]! & Field.Name) !== code) continue;
      const v = latin1Slice.call(b, spec[i + 3]!, spec[i + 4]!);
      found = found === undefined ? v : found + ', ' + v;
    }
    return found;
  }
  const n = name.length;
  const end = w.end;
  let p = w.fields;
  while (p < end) {
    let q = p;
    while (b[q] !== COLON) q++;
    let k = q + 1;
    while (b[k] !== CR) k++;
    if (q - p === n) {
      let i = 0;
      while (i < n && lower(b[p + i]!) === name.charCodeAt(i)) i++;
      if (i === n) {
        let v = q + 1;
        while (b[v] === SP || b[v] === HTAB) v++;
        let last = k;
        while (last > v && (b[last - 1] === SP || b[last - 1] === HTAB)) last--;
        const value = latin1Slice.call(b, v, last);
        found = found === undefined ? value : found + ', ' + value;
      }
    }
    p = k + 2;
  }
  return found;
}

function materialise(raw: readonly string[]): Headers {
  const h: Headers = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const prev = h[name];
    if (prev === undefined) h[name] = value;
    else if (name === 'set-cookie') h[name] = prev + SET_COOKIE_SEPARATOR + value;
    else if (name === 'cookie') h[name] = prev + '; ' + value;
    else h[name] = prev + ', ' + value;
  }
  return h;
}

/** The wire of an untouched decoded head, else null. Codec-private (set in HeadBase). */
let wireOfHead: (head: HeadBase) => Wire | null;
/**
 * The wire a decoded head's `headers` object was materialised from, and that object's fields
 * as they were then ([name, value, ...] in order), while the object is still the one built
 * (not replaced). Codec-private: lets the encoder copy the received lines when a script only
 * added fields.
 */
let materialisedFrom: (head: HeadBase) => { wire: Wire; fields: readonly string[] } | null;
/** Gives a freshly decoded head its wire. Codec-private. */
let attachWire: (head: HeadBase, wire: Wire) => void;

abstract class HeadBase {
  protocol: string;
  #raw: string[] | null;
  #headers: Headers | null;
  #wire: Wire | null = null;
  #base: { wire: Wire; fields: readonly string[] } | null = null;

  static {
    wireOfHead = (head) => head.#wire;
    materialisedFrom = (head) => head.#base;
    attachWire = (head, wire) => {
      head.#wire = wire;
    };
  }

  constructor(protocol: string, raw: string[] | null, headers: Headers | null) {
    this.protocol = protocol;
    this.#raw = raw;
    this.#headers = headers;
  }

  get headers(): Headers {
    let h = this.#headers;
    if (h === null) {
      const raw = this.rawHeaders();
      h = raw ? materialise(raw) : {};
      this.#headers = h;
      if (this.#wire !== null) {
        const fields: string[] = [];
        for (const k in h) fields.push(k, h[k]!);
        this.#base = { wire: this.#wire, fields };
      }
      // From now on the object is the truth: scripts may mutate it.
      this.#raw = null;
      this.#wire = null;
    }
    return h;
  }

  set headers(h: Headers) {
    this.#headers = h;
    this.#raw = null;
    this.#wire = null;
    this.#base = null;
  }

  /** The header lines as received, or null once a script has touched `headers`. */
  rawHeaders(): readonly string[] | null {
    let raw = this.#raw;
    if (raw === null && this.#wire !== null) this.#raw = raw = rawOf(this.#wire);
    return raw;
  }

  /** Reads one header without materialising the object (case-insensitive). */
  header(name: string): string | undefined {
    if (this.#headers) return this.#headers[name];
    if (this.#wire !== null) return wireHeader(this.#wire, name);
    const raw = this.#raw;
    if (!raw) return undefined;
    let found: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i]!;
      if (n.length === name.length && n.toLowerCase() === name) {
        found = found === undefined ? raw[i + 1] : found + ', ' + raw[i + 1];
      }
    }
    return found;
  }

  toJSON(): object {
    return { ...this, headers: this.headers };
  }
}

export class RequestHead extends HeadBase {
  method: string;
  path: string;
  constructor(method: string, path: string, protocol = 'HTTP/1.1', raw: string[] | null = null, headers: Headers | null = null) {
    super(protocol, raw, headers);
    this.method = method;
    this.path = path;
  }
  override toJSON(): object {
    return { method: this.method, path: this.path, protocol: this.protocol, headers: this.headers };
  }
}

export class ResponseHead extends HeadBase {
  status: number;
  statusText: string;
  constructor(status: number, statusText = '', protocol = 'HTTP/1.1', raw: string[] | null = null, headers: Headers | null = null) {
    super(protocol, raw, headers);
    this.status = status;
    this.statusText = statusText;
  }
  override toJSON(): object {
    return { status: this.status, statusText: this.statusText, protocol: this.protocol, headers: this.headers };
  }
}

/** Reads a header from any head shape (decoded class or a script's plain object). */
export function headerOf(head: { headers?: Headers } | HeadBase, name: string): string | undefined {
  if (head instanceof HeadBase) return head.header(name);
  return head.headers?.[name];
}

/**
 * The wire of a decoded head that no script has touched (headers never read or assigned),
 * else null. The start line fields are public and mutable: compare them with the wire's.
 */
export function wireOf(head: object): Wire | null {
  return head instanceof HeadBase ? wireOfHead(head) : null;
}

/** See materialisedFrom above; null for anything but a decoded head whose headers were read. */
export function materialisedWireOf(head: object): { wire: Wire; fields: readonly string[] } | null {
  return head instanceof HeadBase ? materialisedFrom(head) : null;
}

export { HeadBase, attachWire };
