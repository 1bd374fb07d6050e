// HTTP message heads.
//
// Heads produced by the decoder keep the header lines exactly as received, in a flat
// [name, value, name, value, ...] array, and build the lowercase `headers` object only when a
// script first reads it. A proxy that never looks at headers re-encodes from the raw lines,
// so the common path parses each header once and allocates no object for it.
//
// Scripts may also use plain objects as heads (`{ status: 404, headers: {...} }`): encoders
// accept anything shaped like RequestHeadInit / ResponseHeadInit.

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

abstract class HeadBase {
  protocol: string;
  #raw: string[] | null;
  #headers: Headers | null;

  constructor(protocol: string, raw: string[] | null, headers: Headers | null) {
    this.protocol = protocol;
    this.#raw = raw;
    this.#headers = headers;
  }

  get headers(): Headers {
    let h = this.#headers;
    if (h === null) {
      h = this.#raw ? materialise(this.#raw) : {};
      this.#headers = h;
      this.#raw = null; // from now on the object is the truth: scripts may mutate it
    }
    return h;
  }

  set headers(h: Headers) {
    this.#headers = h;
    this.#raw = null;
  }

  /** The header lines as received, or null once a script has touched `headers`. */
  rawHeaders(): readonly string[] | null {
    return this.#raw;
  }

  /** Reads one header without materialising the object (case-insensitive). */
  header(name: string): string | undefined {
    if (this.#headers) return this.#headers[name];
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

export { HeadBase };
