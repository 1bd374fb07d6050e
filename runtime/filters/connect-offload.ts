// `connect(target, { offload: 'auto' })`: once the upstream is connected and nothing is left
// in Node's buffers either way, the client and upstream sockets are handed to the kernel
// companion (a splice(2) relay on a native thread, see runtime/offload/hand-off.ts) and user
// space stops copying. The script asserts by asking for it that the stream between the
// client and this connect is byte-transparent (TCP/TLS passthrough, a CONNECT tunnel).
//
// Refused (the stream simply stays in user space) when offload is unavailable, when the
// connection is an HTTP connection handled by demuxHTTP (its bytes are not transparent), or
// when the buffers never go quiet within a few milliseconds.

import type net from 'node:net';
import { log } from '../engine/log.ts';
import type { Connect } from './connect.ts';
import type { Inbound } from '../net/inbound.ts';
import { handOff, offloadStatus } from '../offload/index.ts';
import { counters } from '../admin/counters.ts';
import { writerPending, writesPending } from '../net/flow.ts';

const MAX_TRIES = 50;

export function offerHandOff(c: Connect, upstream: net.Socket): void {
  const inbound = c.context.inbound as Inbound | undefined;
  const client = inbound?.socket;
  if (!inbound || !client) return;
  if (inbound.httpBusy !== null) {
    log.debug(`connect ${c.target}: offload skipped: the client connection is parsed as HTTP`);
    return;
  }
  if (!offloadStatus().splice.available) return;
  // Never from here: this runs inside the upstream's 'connect' dispatch, with the bytes the
  // client sent meanwhile still queued in the upstream's writer, and before Node's own
  // once('connect') listener starts reading the socket (see claimSocket).
  setImmediate(attempt, { c, inbound, client, upstream, tries: 0 });
}

interface Attempt {
  c: Connect;
  inbound: Inbound;
  client: net.Socket;
  upstream: net.Socket;
  tries: number;
}

function quiet(s: net.Socket): boolean {
  return s.writableLength === 0 && !writerPending(s) && s.readableLength === 0 && !s.destroyed;
}

function attempt(a: Attempt): void {
  if (a.c.socket !== a.upstream || a.client.destroyed) return;
  if (writesPending() || !quiet(a.client) || !quiet(a.upstream)) {
    if (++a.tries < MAX_TRIES) setTimeout(attempt, 1, a);
    else log.debug(`connect ${a.c.target}: offload skipped: the buffers never went quiet`);
    return;
  }
  const h = handOff(a.client, a.upstream);
  if (!h) return;
  log.debug(`connect ${a.c.target}: handed off to the splice relay (attempt ${a.tries + 1})`);
  counters.offloadedConnections++;
  a.c.handedOff();
  a.inbound.handedOff();
  h.once('close', (r: { clientToUpstream: number; upstreamToClient: number }) => {
    counters.offloadedBytes += r.clientToUpstream + r.upstreamToClient;
    a.inbound.addBytes(r.clientToUpstream, r.upstreamToClient);
  });
}
