// Byte classes for the HTTP/1.1 codec, as 256-entry tables built once at load, so the hot
// loops do one indexed load per byte and never run a regex.
//
// Indexing a Uint8Array with NaN (charCodeAt past the end) or a code above 255 gives
// undefined, which every `!== 1` test treats as "not allowed": loops stop at the string end.

function table(allow: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = allow(c) ? 1 : 0;
  return t;
}

const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** tchar (RFC 9110 §5.6.2): method names and field names. */
export const TOKEN = table((c) => isAlnum(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));

/**
 * field-content (RFC 9110 §5.5): VCHAR, obs-text, SP and HTAB. NUL, CR, LF and the other CTLs
 * are rejected; a bare CR or LF inside a value is how response splitting starts.
 */
export const FIELD_VALUE = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/**
 * request-target bytes (RFC 9112 §3.2): visible ASCII. No SP (it delimits the request-line),
 * no CTL. obs-text (>= 0x80) is let through, as nginx does, for raw UTF-8 paths; it cannot
 * change how the line splits.
 */
export const TARGET = table((c) => c > 0x20 && c !== 0x7f);

/**
 * Host field value bytes (RFC 9112 §3.2, RFC 3986 §3.2.2): reg-name (unreserved, pct-encoded,
 * sub-delims), IP-literal brackets and ':' port. No SP, '/', '@', '?', '#': a Host that could
 * be read as a path or userinfo is how routing confusion starts.
 */
export const HOST = table((c) => isAlnum(c) || "-._~%!$&'()*+,;=:[]".includes(String.fromCharCode(c)));

/** URI scheme bytes after the first letter (RFC 3986 §3.1). */
export const SCHEME = table((c) => isAlnum(c) || c === 0x2b || c === 0x2d || c === 0x2e);

/**
 * chunk-ext bytes (RFC 9112 §7.1.1): token, '=', ';', quoted-string content and BWS. Everything
 * visible plus SP/HTAB; CTLs (CR, LF, NUL) are rejected.
 */
export const CHUNK_EXT = FIELD_VALUE;

/** Hex digit value, or -1. */
export const HEX = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0; c < 10; c++) t[0x30 + c] = c;
  for (let c = 0; c < 6; c++) {
    t[0x41 + c] = 10 + c;
    t[0x61 + c] = 10 + c;
  }
  return t;
})();

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;

/** True for SP / HTAB (OWS, RFC 9110 §5.6.3). */
export function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/**
 * Splits a comma-separated list field (RFC 9110 §5.6.1) and tells whether `token` is one of
 * its elements, case-insensitively. Empty elements are ignored as the RFC requires.
 */
export function listHas(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  let from = 0;
  for (;;) {
    const i = lower.indexOf(token, from);
    if (i < 0) return false;
    // The match must be a whole element: bounded by start/comma with only OWS between.
    let a = i - 1;
    while (a >= 0 && isOws(lower.charCodeAt(a))) a--;
    let b = i + token.length;
    while (b < lower.length && isOws(lower.charCodeAt(b))) b++;
    if ((a < 0 || lower.charCodeAt(a) === 0x2c) && (b >= lower.length || lower.charCodeAt(b) === 0x2c)) return true;
    from = i + 1;
  }
}
