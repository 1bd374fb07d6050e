// `connect(target, options)`: the stream's input is written to an upstream TCP connection and
// what the upstream sends becomes the output. The connection opens on the first event.
//
//   input Data ---> SocketWriter ---> upstream socket
//   output    <--- dispatch(upstream reads)  (a full client writer pauses this socket)
//
// Failures end the stream with Pipy's codes: ConnectionRefused, ConnectionTimeout,
// CannotResolve, ConnectionReset, ReadTimeout, WriteTimeout, IdleTimeout, ReadError, WriteError.

import net from 'node:net';
import { Data, Kind, StreamEnd, type Event, type StreamEndCode } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import { dispatch, pauseCurrentInput, SocketInput, writerFor, type Pausable, type SocketWriter, type WriteWatcher } from '../net/flow.ts';
import { coarseNow, unwatchIdle, watchIdle, type IdleWatched } from '../net/idle.ts';
import { READ_BUFFER, takeRead } from '../net/read-buffer.ts';
import { counters } from '../admin/counters.ts';
import { reportScriptError } from '../engine/script-error.ts';

export interface ConnectConfig {
  /** Fixed target, parsed once; null when `resolve` computes it per stream. */
  readonly host: string | null;
  readonly port: number;
  readonly resolve: ((ctx: any) => string) | null;
  readonly connectTimeout: number;
  readonly readTimeout: number;
  readonly writeTimeout: number;
  readonly idleTimeout: number;
  readonly retryCount: number;
  readonly retryDelay: number;
  /** Most bytes buffered while the connection is being opened. */
  readonly bufferLimit: number;
  readonly offload: 'auto' | 'never';
  /** Hook for the offload controller (set by the designer when offload is wanted). */
  readonly onConnected: ((filter: Connect, socket: net.Socket) => void) | null;
}

const kConnect = Symbol('sluice.connect');
type Owned = net.Socket & { [kConnect]?: Connect };

export function errorCode(err: NodeJS.ErrnoException | undefined, reading: boolean): StreamEndCode {
  switch (err?.code) {
    case 'ECONNREFUSED': return 'ConnectionRefused';
    case 'ECONNRESET': case 'EPIPE': return 'ConnectionReset';
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_NONAME': case 'EAI_FAIL': return 'CannotResolve';
    case 'ETIMEDOUT': return 'ConnectionTimeout';
    case 'ECONNABORTED': return 'ConnectionAborted';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'ConnectionRefused';
    default: return reading ? 'ReadError' : 'WriteError';
  }
}

/** Splits 'host:port' / '[v6]:port'; throws on anything else. */
export function parseTarget(target: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]\s]+)):(\d{1,5})$/.exec(target);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`invalid target ${JSON.stringify(target)} (expected 'host:port')`);
  return { host: (m[1] ?? m[2])!, port };
}

export class Connect extends Filter implements WriteWatcher, IdleWatched {
  readonly config: ConnectConfig;
  #socket: Owned | null = null;
  #writer: SocketWriter | null = null;
  #source: SocketInput | null = null;
  #pending: Buffer[] | null = null;
  #pendingSize = 0;
  /** Producers paused while connecting (their data would overflow bufferLimit otherwise). */
  #pausedInputs: Pausable[] | null = null;
  #connected = false;
  #inputEnded = false;
  #outputEnded = false;
  #received = 0;
  #attempts = 0;
  #host = '';
  #port = 0;
  #connectTimer: NodeJS.Timeout | null = null;
  #readTimer: NodeJS.Timeout | null = null;
  #writeTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #handedOff = false;
  idleMark = 0;

  constructor(config: ConnectConfig) {
    super();
    this.config = config;
  }

  clone(): Connect {
    return new Connect(this.config);
  }

  describe(): string {
    return 'connect';
  }

  /** The upstream socket once connected (the offload controller hands it to the kernel). */
  get socket(): net.Socket | null {
    return this.#connected ? this.#socket : null;
  }

  get target(): string {
    return this.#host.includes(':') ? `[${this.#host}]:${this.#port}` : `${this.#host}:${this.#port}`;
  }

  input(evt: Event): void {
    // After the upstream's FIN (output ended cleanly) the client may still send: a half-closed
    // TCP stream goes on in the other direction. Only a dead socket drops input.
    if (this.#outputEnded && !this.#connected) return;
    if (evt.kind === Kind.StreamEnd) {
      this.#inputEnded = true;
      if (this.#socket === null) {
        // Nothing was ever sent: no reason to connect.
        this.#end(evt.error ? evt : StreamEnd.OK);
      } else if (this.#connected) this.#writer!.end();
      return;
    }
    if (this.#socket === null && this.#retryTimer === null && !this.#start()) return;
    if (evt.kind !== Kind.Data) return;
    const chunks = evt.chunks;
    if (this.#connected) {
      this.idleMark = coarseNow();
      for (let i = 0; i < chunks.length; i++) {
        counters.upstreamBytesOut += chunks[i]!.length;
        this.#writer!.write(chunks[i]!);
      }
      if (this.config.readTimeout > 0) this.#armReadTimer();
      return;
    }
    // Still connecting: keep what was sent (bounded) so a retry can send it again.
    const p = (this.#pending ??= []);
    for (let i = 0; i < chunks.length; i++) {
      p.push(chunks[i]!);
      this.#pendingSize += chunks[i]!.length;
    }
    if (this.#pendingSize > this.config.bufferLimit) {
      this.#fail('BufferOverflow', `more than ${this.config.bufferLimit} bytes sent before the upstream connected`);
    } else if (this.#pendingSize > this.config.bufferLimit >>> 1) {
      // A fast uploader fills the buffer while the handshake is in flight: stop reading it
      // until connected instead of failing (back-pressure, as a full socket would give).
      const src = pauseCurrentInput();
      if (src !== null) {
        const paused = (this.#pausedInputs ??= []);
        if (paused.includes(src)) src.resume();
        else paused.push(src);
      }
    }
  }

  #resumeInputs(): void {
    const p = this.#pausedInputs;
    if (p === null) return;
    this.#pausedInputs = null;
    for (const src of p) src.resume();
  }

  #start(): boolean {
    const c = this.config;
    if (c.host !== null) {
      this.#host = c.host;
      this.#port = c.port;
    } else {
      let t: string;
      try {
        t = c.resolve!(this.context);
        ({ host: this.#host, port: this.#port } = parseTarget(String(t)));
      } catch (err) {
        const msg = reportScriptError('connect', err);
        counters.scriptErrors++;
        this.#end(new StreamEnd('RuntimeError', msg));
        return false;
      }
    }
    this.#open();
    return true;
  }

  #open(): void {
    const c = this.config;
    this.#attempts++;
    counters.upstreamConnects++;
    const s = net.connect({ host: this.#host, port: this.#port, allowHalfOpen: true, noDelay: true, onread: ON_READ }) as Owned;
    s[kConnect] = this;
    this.#socket = s;
    s.on('connect', onConnect);
    s.on('end', onEnd);
    s.on('error', onError);
    s.on('close', onClose);
    if (c.connectTimeout > 0) this.#connectTimer = setTimeout(onConnectTimeout, c.connectTimeout, this);
  }

  connected(): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    const s = this.#socket!;
    this.#connected = true;
    counters.upstreamActive++;
    this.#writer = writerFor(s, this);
    this.#source = new SocketInput(s);
    const c = this.config;
    // Not s.setTimeout: that refreshes a timer on every read and write (see net/idle.ts).
    if (c.idleTimeout > 0) watchIdle(this);
    const p = this.#pending;
    this.#pending = null;
    this.#pendingSize = 0;
    if (p) for (const b of p) this.#writer.write(b);
    this.#resumeInputs();
    if (this.#inputEnded) this.#writer.end();
    else if (p && c.readTimeout > 0) this.#armReadTimer();
    c.onConnected?.(this, s);
  }

  received(buf: Buffer): void {
    this.idleMark = coarseNow();
    this.#received += buf.length;
    counters.upstreamBytesIn += buf.length;
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = null;
    this.output.input(Data.of(buf));
  }

  get source(): SocketInput | null {
    return this.#source;
  }

  receivedEnd(): void {
    this.#end(StreamEnd.OK);
  }

  failed(err: NodeJS.ErrnoException): void {
    const code = errorCode(err, this.#connected);
    if (!this.#connected && this.#canRetry(code)) return;
    if (!this.#connected) counters.upstreamConnectErrors++;
    this.#fail(code, `${this.target}: ${err.message}`);
  }

  timedOut(code: StreamEndCode): void {
    if (!this.#connected && this.#canRetry(code)) return;
    if (!this.#connected) counters.upstreamConnectErrors++;
    this.#fail(code, `${this.target}: ${code}`);
  }

  get idleTimeout(): number {
    return this.config.idleTimeout;
  }

  /** No read or write for idleTimeout. */
  idleExpired(): void {
    dispatch(null, this, this.timedOut, 'IdleTimeout');
  }

  closed(): void {
    unwatchIdle(this);
    if (this.#connected) counters.upstreamActive--;
    this.#connected = false;
    this.#writer?.release();
    if (this.#handedOff) return;
    // Closed without 'end' or 'error' (destroyed locally): make sure the stream ends.
    if (!this.#outputEnded && this.#retryTimer === null) this.#end(new StreamEnd('ConnectionReset', `${this.target}: closed`));
  }

  #canRetry(code: StreamEndCode): boolean {
    // Only failures to connect are retried: nothing has reached the upstream yet.
    if (this.#attempts > this.config.retryCount) return false;
    if (code !== 'ConnectionRefused' && code !== 'ConnectionTimeout' && code !== 'CannotResolve') return false;
    this.#dropSocket();
    counters.upstreamRetries++;
    this.#retryTimer = setTimeout(onRetry, this.config.retryDelay, this);
    return true;
  }

  retry(): void {
    this.#retryTimer = null;
    if (!this.#outputEnded) this.#open();
  }

  #armReadTimer(): void {
    if (this.#readTimer) this.#readTimer.refresh();
    else this.#readTimer = setTimeout(onReadTimeout, this.config.readTimeout, this);
  }

  /** The writer could not take more: a write timeout starts (see writeTimeout). */
  blocked(): void {
    if (this.config.writeTimeout > 0 && this.#writeTimer === null) {
      this.#writeTimer = setTimeout(onWriteTimeout, this.config.writeTimeout, this);
    }
  }

  drained(): void {
    if (this.#writeTimer) clearTimeout(this.#writeTimer);
    this.#writeTimer = null;
  }

  /** The offload controller took over both sockets: stop reading and counting here. */
  handedOff(): void {
    this.#handedOff = true;
    this.#clearTimers();
    this.#source?.detach();
    this.#socket?.removeListener('data', onData);
  }

  #fail(code: StreamEndCode, message: string): void {
    this.#dropSocket();
    this.#end(new StreamEnd(code, message));
  }

  #end(evt: StreamEnd): void {
    if (this.#outputEnded) return;
    this.#outputEnded = true;
    this.#clearTimers();
    this.#resumeInputs();
    this.output.input(evt);
  }

  #clearTimers(): void {
    unwatchIdle(this);
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    if (this.#readTimer) clearTimeout(this.#readTimer);
    if (this.#writeTimer) clearTimeout(this.#writeTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#connectTimer = this.#readTimer = this.#writeTimer = this.#retryTimer = null;
  }

  #dropSocket(): void {
    const s = this.#socket;
    if (!s) return;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    s[kConnect] = undefined;
    unwatchIdle(this);
    if (this.#connected) counters.upstreamActive--;
    this.#connected = false;
    this.#writer?.release();
    s.destroy();
    this.#socket = null;
  }

  override shutdown(): void {
    this.#outputEnded = true;
    this.#clearTimers();
    this.#resumeInputs();
    const s = this.#socket;
    if (!s || this.#handedOff) return;
    if (this.#writer?.ending && (s.writableLength > 0 || this.#writer.pending)) {
      // A graceful end is still flushing: let it, but not forever.
      setTimeout(destroyLater, 5000, s).unref();
      s[kConnect] = undefined;
      if (this.#connected) counters.upstreamActive--;
      this.#connected = false;
      this.#socket = null;
      return;
    }
    this.#dropSocket();
  }
}

function destroyLater(s: net.Socket): void {
  s.destroy();
}

function onConnect(this: Owned): void {
  const c = this[kConnect];
  if (c) dispatch(null, c, c.connected, undefined);
}

/**
 * Upstream reads land in the shared read buffer (net.connect's `onread`, see read-buffer.ts),
 * which skips the Readable machinery per read. pause()/resume() still stop and restart reading
 * (Node readStops an onread socket).
 */
const ON_READ = { buffer: READ_BUFFER, callback: onRead };

function onRead(this: Owned, n: number, _buf: Uint8Array): boolean {
  const c = this[kConnect];
  if (!c) return true;
  dispatch(c.source, c, c.received, takeRead(n));
  return true; // false would stop reading; back-pressure goes through c.source instead
}

/** Kept for detaching listeners added before reads moved to onRead (hand-off). */
function onData(this: Owned, buf: Buffer): void {
  const c = this[kConnect];
  if (c) dispatch(c.source, c, c.received, buf);
}

function onEnd(this: Owned): void {
  const c = this[kConnect];
  if (c) dispatch(c.source, c, c.receivedEnd, undefined);
}

function onError(this: Owned, err: NodeJS.ErrnoException): void {
  const c = this[kConnect];
  if (c) dispatch(null, c, c.failed, err);
}

function onClose(this: Owned): void {
  const c = this[kConnect];
  if (!c) return;
  this[kConnect] = undefined;
  dispatch(null, c, c.closed, undefined);
}

function onConnectTimeout(c: Connect): void {
  dispatch(null, c, c.timedOut, 'ConnectionTimeout');
}

function onReadTimeout(c: Connect): void {
  dispatch(null, c, c.timedOut, 'ReadTimeout');
}

function onWriteTimeout(c: Connect): void {
  dispatch(null, c, c.timedOut, 'WriteTimeout');
}

function onRetry(c: Connect): void {
  dispatch(null, c, c.retry, undefined);
}
