// W3C Trace Context (https://www.w3.org/TR/trace-context/): a valid incoming `traceparent`
// keeps its trace id and gets a new parent id (this hop's span); an absent or malformed one is
// replaced by a fresh trace. `tracestate` passes untouched.

import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const pool = Buffer.alloc(4096);
let at = pool.length;

function randomHex(bytes: number): string {
  if (at + bytes > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const s = pool.toString('hex', at, at + bytes);
  at += bytes;
  return s;
}

export interface Span {
  traceId: string;
  spanId: string;
  /** The value to send upstream. */
  traceparent: string;
}

/** The span of this hop, continuing `incoming` when it is a valid traceparent. */
export function continueTrace(incoming: string | undefined): Span {
  const spanId = randomHex(8);
  const m = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  // Version ff is invalid, as are all-zero ids (§3.2.2).
  if (m && m[1] !== 'ff' && !/^0+$/.test(m[2]!) && !/^0+$/.test(m[3]!)) {
    return { traceId: m[2]!, spanId, traceparent: `00-${m[2]}-${spanId}-${m[4]}` };
  }
  const traceId = randomHex(16);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}
