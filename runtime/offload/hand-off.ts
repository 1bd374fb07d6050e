// runtime/offload/hand-off.ts: the post-L7 hand-off.
//
// After a 200 to CONNECT, a 101 for WebSocket, or a passthrough decision, the
// rest of the stream is byte-transparent. handOff() stops Node reading both
// sockets and gives the pair to a native thread that moves bytes with
// splice(2) through a pipe per direction (native/src/relay.cc): no user-space
// copies, TCP flow control intact, half-close and reset carried across.
//
//   client ──splice──▶ pipe ──splice──▶ upstream
//   client ◀──splice── pipe ◀──splice── upstream
//
// Why not the sk_skb verdict redirect: it has no back-pressure, lets FIN
// overtake data and poisons the peer with EPIPE on the zero-length FIN skb
// (shared/anchors.md); bench/offload-passthrough measured both (RESULTS.md).
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { claimSocket, nativeAddon, releaseSocket, socketFd } from './native.ts';
import { encodeTuple } from './codec.ts';
import { MAP } from './layout.gen.ts';
import { pinnedMap } from './maps.ts';
import type { SpliceRelayHandle } from './native.ts';
import { writerPending } from '../net/flow.ts';

/** Pipe capacity per direction; the kernel caps it at fs.pipe-max-size. */
const PIPE_BYTES = 1 << 20;

export interface HandOffResult {
  /** bytes moved client -> upstream */
  clientToUpstream: number;
  /** bytes moved upstream -> client */
  upstreamToClient: number;
  /** why the relay ended early ('ECONNRESET', 'EPIPE', ...); absent on a clean double EOF */
  error?: Error & { code?: string; errno?: number };
}

export interface HandOffTotals {
  started: number;
  active: number;
  bytes: number;
  errors: number;
}

const totals: HandOffTotals = { started: 0, active: 0, bytes: 0, errors: 0 };

export function handOffTotals(): HandOffTotals & { activeBytes: number } {
  let activeBytes = 0;
  for (const h of live) activeBytes += h.bytesSoFar();
  return { ...totals, activeBytes };
}

const live = new Set<HandOff>();

/**
 * One handed-off connection. Emits 'close' (result: HandOffResult) once, after
 * the relay ended and both sockets were destroyed.
 */
export class HandOff extends EventEmitter {
  readonly mode = 'splice' as const;
  readonly #client: net.Socket;
  readonly #upstream: net.Socket;
  #relay: SpliceRelayHandle | null = null;
  #closed = false;
  #final: [number, number] | null = null;

  constructor(client: net.Socket, upstream: net.Socket) {
    super();
    this.#client = client;
    this.#upstream = upstream;
  }

  /** Starts the relay; false when the addon refuses (then nothing changed). */
  start(fdClient: number, fdUpstream: number): boolean {
    const addon = nativeAddon();
    if (!addon) return false;
    try {
      this.#relay = new addon.SpliceRelay(fdClient, fdUpstream, PIPE_BYTES, (err, a, b) => this.#finish(err, a, b));
    } catch {
      return false;
    }
    live.add(this);
    totals.started++;
    totals.active++;
    // Someone destroying either socket while we relay ends the relay first,
    // so the thread never splices into a descriptor Node has reused.
    const onClose = (): void => this.#relay?.cancel();
    this.#client.once('close', onClose);
    this.#upstream.once('close', onClose);
    return true;
  }

  /** Bytes each way so far (the sockets' own bytesRead stop counting). */
  bytes(): { clientToUpstream: number; upstreamToClient: number } {
    const [a, b] = this.#final ?? this.#relay?.stats() ?? [0, 0];
    return { clientToUpstream: a, upstreamToClient: b };
  }

  bytesSoFar(): number {
    const [a, b] = this.#final ?? this.#relay?.stats() ?? [0, 0];
    return a + b;
  }

  /** Ends the relay now; 'close' follows. */
  close(): void {
    this.#relay?.cancel();
  }

  #finish(err: HandOffResult['error'] | null, a: number, b: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#final = [a, b];
    this.#relay = null;
    live.delete(this);
    totals.active--;
    totals.bytes += a + b;
    const result: HandOffResult = { clientToUpstream: a, upstreamToClient: b };
    if (err && err.code !== 'ECANCELED') {
      result.error = err;
      totals.errors++;
    }
    // After an abrupt end the relay set SO_LINGER {1,0}: this close sends RST.
    let pending = 0;
    const done = (): void => {
      if (--pending === 0) this.emit('close', result);
    };
    for (const s of [this.#client, this.#upstream]) {
      if (s.destroyed && s.closed) continue;
      pending++;
      s.once('close', done);
      s.destroy();
    }
    if (pending === 0) queueMicrotask(() => this.emit('close', result));
  }
}

/** Is the socket in sluice_hop_socks? (Only if the pinned map is there.) */
function inHopMap(s: net.Socket): boolean {
  const { map } = pinnedMap(MAP.HOP_SOCKS);
  if (!map || !s.localAddress || !s.remoteAddress || !s.localPort || !s.remotePort) return false;
  const key = encodeTuple({ address: s.localAddress, port: s.localPort }, { address: s.remoteAddress, port: s.remotePort });
  try {
    return !!key && map.lookup(key) !== null;
  } catch {
    return false;
  }
}

/** Why this pair can't be handed off, or '' when it can. */
function refusal(client: net.Socket, upstream: net.Socket): string {
  for (const [name, s] of [['client', client], ['upstream', upstream]] as const) {
    if (s.destroyed || s.readyState !== 'open') return `${name} socket is not open both ways`;
    if (s.writableLength > 0) return `${name} socket still has ${s.writableLength} bytes queued in Node`;
    if (writerPending(s)) return `${name} socket has a write in flight`;
    if (s.readableLength > 0) return `${name} socket has ${s.readableLength} unread bytes in Node`;
    if (inHopMap(s)) return `${name} socket is accelerated by local hop (sk_msg delivers into its psock queue, which splice(2) cannot read)`;
  }
  return '';
}

let lastRefusal = '';
export function lastHandOffRefusal(): string {
  return lastRefusal;
}

export function startHandOff(client: net.Socket, upstream: net.Socket): HandOff | null {
  if (!nativeAddon()) {
    lastRefusal = 'native addon not available';
    return null;
  }
  const why = refusal(client, upstream);
  if (why) {
    lastRefusal = why;
    return null;
  }
  const fc = socketFd(client);
  const fu = socketFd(upstream);
  if (fc < 0 || fu < 0) {
    lastRefusal = 'socket has no file descriptor (not a TCP socket on Linux?)';
    return null;
  }
  // Stop libuv reading for good (see claimSocket), and keep idle timers from
  // killing a stream Node no longer sees. A refusal puts both back as they
  // were: a socket our flow control paused must stay paused.
  if (!claimSocket(client) || !claimSocket(upstream)) {
    lastRefusal = 'could not stop Node reading the sockets';
    releaseSocket(client);
    releaseSocket(upstream);
    return null;
  }
  const h = new HandOff(client, upstream);
  if (!h.start(fc, fu)) {
    releaseSocket(client);
    releaseSocket(upstream);
    lastRefusal = 'the splice relay could not start';
    return null;
  }
  client.setTimeout(0);
  upstream.setTimeout(0);
  return h;
}
