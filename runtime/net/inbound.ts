// An accepted connection as a stream: each read becomes one Data event into the listener's
// pipeline; what the pipeline outputs is written back; the client's FIN is StreamEnd('').
// Handlers are shared module functions reaching the Inbound through a symbol on the socket,
// so a connection costs no closures.

import type { Socket } from 'node:net';
import { Data, Kind, StreamEnd, type Event } from '../engine/event.ts';
import type { EventTarget } from '../engine/filter.ts';
import type { Pipeline, PipelineLayout } from '../engine/pipeline.ts';
import { log } from '../engine/log.ts';
import { dispatch, SocketInput, writerFor, type Pausable, type SocketWriter } from './flow.ts';
import { coarseNow, unwatchIdle, watchIdle, type IdleWatched } from './idle.ts';
import { counters } from '../admin/counters.ts';
import { originalDestination } from '../offload/index.ts';
import { takeRead } from './read-buffer.ts';

/** What a script can learn about the connection a stream came from. */
export interface InboundInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** The accepted socket itself: for the offload controller and TLS, not for scripts. */
  readonly socket: Socket | null;
  /** Pauses and resumes reading from the client (engine use). */
  readonly source: Pausable | null;
  /** Whether an HTTP demuxer has a request in flight (null: not HTTP); used when draining. */
  httpBusy: boolean | null;
  /**
   * Where the client meant to connect when the kernel companion's connect4 program redirected
   * it here (an L7 service VIP), or null. Looked up once, on first use.
   */
  readonly originalDestination: { address: string; port: number } | null;
}

export interface ListenerStats {
  connections: number;
  active: number;
  bytesIn: number;
  bytesOut: number;
}

const kInbound = Symbol('sluice.inbound');
type Owned = Socket & { [kInbound]?: Inbound };

let nextId = 1;

function stripV4Mapped(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

export class Inbound implements EventTarget, InboundInfo, IdleWatched {
  readonly id = nextId++;
  readonly socket: Socket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly #input: SocketInput;
  httpBusy: boolean | null = null;
  readonly idleTimeout: number;
  idleMark = 0;
  readonly #writer: SocketWriter;
  readonly #stats: ListenerStats;
  #pipeline: Pipeline | null = null;
  #original: { address: string; port: number } | null | undefined = undefined;
  #outputEnded = false;
  #inputEnded = false;

  /**
   * `viaOnread`: the socket reads through the shared read buffer (see accept.ts) and reaches
   * onInboundRead, not 'data'.
   */
  constructor(socket: Socket, layout: PipelineLayout, stats: ListenerStats, idleTimeout: number, viaOnread = false) {
    this.socket = socket;
    this.remoteAddress = stripV4Mapped(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = stripV4Mapped(socket.localAddress);
    this.localPort = socket.localPort ?? 0;
    this.#input = new SocketInput(socket);
    this.#writer = writerFor(socket);
    this.#stats = stats;
    this.idleTimeout = idleTimeout;
    stats.connections++;
    stats.active++;
    counters.connectionsAccepted++;
    counters.connectionsActive++;

    (socket as Owned)[kInbound] = this;
    socket.setNoDelay(true);
    // Not socket.setTimeout: that refreshes a timer on every read and write (see idle.ts).
    if (idleTimeout > 0) watchIdle(this);
    if (!viaOnread) socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);

    const ctx = layout.newContext() as { inbound?: InboundInfo };
    ctx.inbound = this;
    this.#pipeline = layout.instantiate(ctx, this);
  }

  get originalDestination(): { address: string; port: number } | null {
    if (this.#original === undefined) {
      try {
        this.#original = originalDestination(this.socket);
      } catch {
        this.#original = null;
      }
    }
    return this.#original;
  }

  // Output of the pipeline: back to the client.
  input(evt: Event): void {
    if (this.#outputEnded) return;
    if (evt.kind === Kind.Data) {
      this.idleMark = coarseNow();
      const chunks = evt.chunks;
      for (let i = 0; i < chunks.length; i++) {
        this.#stats.bytesOut += chunks[i]!.length;
        this.#writer.write(chunks[i]!);
      }
    } else if (evt.kind === Kind.StreamEnd) {
      this.#outputEnded = true;
      if (evt.error && evt.error !== 'Replay') log.debug(`inbound #${this.id}: stream ended: ${evt.error} ${evt.message}`);
      this.#writer.end();
      // A clean end is a half-close: the client may go on sending (a TCP proxy whose upstream
      // finished first). A failed stream will never read the rest: close it once written.
      if (evt.error && !this.#inputEnded) this.socket.once('finish', destroyAfterFinish);
    }
    // MessageStart/MessageEnd reaching a raw socket carry nothing to write.
  }

  receive(buf: Buffer): void {
    this.idleMark = coarseNow();
    this.#stats.bytesIn += buf.length;
    this.#pipeline?.input(Data.of(buf));
  }

  receiveEnd(): void {
    this.#inputEnded = true;
    this.#pipeline?.input(StreamEnd.OK);
  }

  receiveError(err: NodeJS.ErrnoException): void {
    this.#inputEnded = true;
    const code = err.code === 'ECONNRESET' ? 'ConnectionReset' : 'ReadError';
    this.#pipeline?.input(new StreamEnd(code, err.message));
  }

  /** The offload controller took the socket: Node no longer sees its bytes. */
  handedOff(): void {
    this.#input.detach();
    this.socket.removeListener('data', onData);
    unwatchIdle(this);
  }

  /** Bytes relayed outside Node (hand-off), for the listener's counters. */
  addBytes(received: number, sent: number): void {
    this.#stats.bytesIn += received;
    this.#stats.bytesOut += sent;
  }

  /** No read or write for idleTimeout (the listener's `idleTimeout` option). */
  idleExpired(): void {
    log.debug(`inbound #${this.id}: idle timeout`);
    this.socket.destroy();
  }

  closed(): void {
    unwatchIdle(this);
    this.#stats.active--;
    counters.connectionsActive--;
    this.#writer.release();
    const p = this.#pipeline;
    this.#pipeline = null;
    p?.shutdown();
  }

  get source(): SocketInput {
    return this.#input;
  }
}

/** The Inbound of an accepted socket (for draining). */
export function inboundOf(socket: Socket): Inbound | undefined {
  return (socket as Owned)[kInbound];
}

/** Reads of an accepted socket created with `onread` (accept.ts). */
export function onInboundRead(this: Socket, n: number, _buf: Uint8Array): boolean {
  const ib = (this as Owned)[kInbound];
  if (ib) dispatch(ib.source, ib, ib.receive, takeRead(n));
  return true; // false would stop reading; back-pressure goes through ib.source instead
}

function onData(this: Owned, buf: Buffer): void {
  const ib = this[kInbound];
  if (ib) dispatch(ib.source, ib, ib.receive, buf);
}

function onEnd(this: Owned): void {
  const ib = this[kInbound];
  if (ib) dispatch(ib.source, ib, ib.receiveEnd, undefined);
}

function onError(this: Owned, err: NodeJS.ErrnoException): void {
  const ib = this[kInbound];
  if (ib) dispatch(null, ib, ib.receiveError, err);
}

function onClose(this: Owned): void {
  const ib = this[kInbound];
  if (!ib) return;
  this[kInbound] = undefined;
  dispatch(null, ib, ib.closed, undefined);
}

function destroyAfterFinish(this: Socket): void {
  this.destroy();
}
