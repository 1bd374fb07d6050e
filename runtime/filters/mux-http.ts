// `muxHTTP(key?, options?)`: sends each request stream over a shared upstream session chosen
// by a key (mux); this is connection pooling. With HTTP/1.1 a session carries one exchange at
// a time, so a key owns a pool of sessions: idle ones are reused, new ones are opened when all
// are busy (up to maxConnections, then requests wait), and a session idle for maxIdle closes.
//
//   request stream --> MuxHTTP --> SessionPool[key] --> Session: RequestEncoder --> sub-pipeline (connect)
//   response       <-- MuxHTTP <-----------------------  Session: ResponseDecoder <--'
//
// A request that meets a pooled connection the upstream had already closed (no response byte
// came back) is sent again once on a fresh connection, if it is idempotent and small enough to
// have been kept. The default key is the inbound connection, as in Pipy: each client
// connection gets its own upstream connection, released when the client goes.

import { Data, Kind, MessageEnd, MessageStart, StreamEnd, type Event } from '../engine/event.ts';
import { JointFilter, type EventTarget } from '../engine/filter.ts';
import type { Pipeline, PipelineLayout } from '../engine/pipeline.ts';
import { RequestHead, type ResponseHead } from '../codecs/http1/head.ts';
import type { DecoderSink, Http1Limits, RequestEncoder, ResponseDecoder } from '../codecs/http1/types.ts';
import { createResponseDecoder, wantsKeepAlive } from '../codecs/http1/decoder.ts';
import { createRequestEncoder } from '../codecs/http1/encoder.ts';
import { reportScriptError } from '../engine/script-error.ts';
import { counters } from '../admin/counters.ts';

export interface MuxHTTPConfig {
  readonly key: ((ctx: any) => unknown) | null;
  readonly maxIdle: number;
  /** Most requests sent over one connection before it is retired; 0 = no limit. */
  readonly maxMessages: number;
  /** Most connections per key; 0 = no limit. Beyond it requests wait (up to maxPending). */
  readonly maxConnections: number;
  readonly maxPending: number;
  readonly limits: Readonly<Http1Limits>;
  readonly bufferSize: number;
  /** Largest request kept for a retry on a dead pooled connection. */
  readonly retryBufferSize: number;
  /** Shared by all clones of one muxHTTP: the pools by key. */
  readonly pools: Map<unknown, SessionPool>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Request events kept for a possible retry. */
interface Kept {
  head: RequestHead | object;
  length: number;
  body: Buffer[] | null;
  size: number;
  tail: Record<string, string> | null;
  ended: boolean;
}

export class SessionPool {
  readonly key: unknown;
  readonly config: MuxHTTPConfig;
  readonly layout: PipelineLayout;
  readonly idle: Session[] = [];
  readonly all = new Set<Session>();
  readonly waiting: MuxHTTP[] = [];

  constructor(key: unknown, config: MuxHTTPConfig, layout: PipelineLayout) {
    this.key = key;
    this.config = config;
    this.layout = layout;
  }

  acquire(stream: MuxHTTP, fresh: boolean): Session | null {
    if (!fresh) {
      const s = this.idle.pop();
      if (s) return s;
    }
    const max = this.config.maxConnections;
    if (max > 0 && this.all.size >= max) {
      if (this.waiting.length >= this.config.maxPending) return null;
      this.waiting.push(stream);
      return null;
    }
    const s = new Session(this, stream.context);
    this.all.add(s);
    return s;
  }

  released(s: Session): void {
    const w = this.waiting.shift();
    if (w) {
      w.assign(s);
      return;
    }
    s.idleSince = performance.now();
    this.idle.push(s);
    watchIdlePool(this);
  }

  removed(s: Session): void {
    this.all.delete(s);
    const i = this.idle.indexOf(s);
    if (i >= 0) this.idle.splice(i, 1);
    // A slot opened: a waiting request may now connect.
    const w = this.waiting.shift();
    if (w) w.retryAcquire();
    if (this.all.size === 0 && this.waiting.length === 0) this.config.pools.delete(this.key);
  }

  close(): void {
    for (const s of [...this.all]) s.close();
    this.config.pools.delete(this.key);
  }
}

/** One upstream connection (a sub-pipeline instance) speaking HTTP/1.1. */
export class Session implements EventTarget, DecoderSink<ResponseHead> {
  readonly pool: SessionPool;
  readonly #pipeline: Pipeline;
  readonly #encoder: RequestEncoder;
  /**
   * Encoder for relayed request bodies of unknown length (a client's chunked upload): chunked
   * from the first byte, so a streaming upload is not held until 16k accumulate.
   */
  #streamEncoder: RequestEncoder | null = null;
  #current: RequestEncoder;
  readonly #decoder: ResponseDecoder;
  stream: MuxHTTP | null = null;
  idleSince = 0;
  messages = 0;
  #responseBytes = false;
  #reusable = true;
  #tunnel = false;
  #closed = false;

  constructor(pool: SessionPool, ctx: object) {
    this.pool = pool;
    this.#pipeline = pool.layout.instantiate({ ...ctx }, this);
    this.#encoder = this.#current = createRequestEncoder(this.#send, { bufferSize: pool.config.bufferSize });
    this.#decoder = createResponseDecoder(this, pool.config.limits);
  }

  get reused(): boolean {
    return this.messages > 1;
  }

  #send = (buf: Buffer): void => {
    this.#pipeline.input(Data.of(buf));
  };

  begin(stream: MuxHTTP, method: string): void {
    this.stream = stream;
    this.messages++;
    this.#responseBytes = false;
    this.#decoder.expect(method);
  }

  start(head: RequestHead | object, length: number): void {
    this.#current =
      length < 0 && head instanceof RequestHead ? (this.#streamEncoder ??= createRequestEncoder(this.#send, { bufferSize: 0 })) : this.#encoder;
    this.#current.start(head as RequestHead, length);
  }

  body(chunk: Buffer): void {
    if (this.#tunnel) this.#pipeline.input(Data.of(chunk));
    else this.#current.body(chunk);
  }

  end(tail: Record<string, string> | null): void {
    this.#current.end(tail);
  }

  /** The stream side of a tunnel ended (client FIN). */
  endTunnel(evt: StreamEnd): void {
    this.#pipeline.input(evt);
  }

  // ---- output of the sub-pipeline: bytes from the upstream ----

  input(evt: Event): void {
    if (this.#closed) return;
    if (evt.kind === Kind.Data) {
      if (this.#tunnel) {
        this.stream?.output.input(evt);
        return;
      }
      this.#responseBytes = true;
      const chunks = evt.chunks;
      for (let i = 0; i < chunks.length && !this.#closed; i++) this.#decoder.write(chunks[i]!);
    } else if (evt.kind === Kind.StreamEnd) {
      if (!this.#tunnel && !evt.error) this.#decoder.end();
      this.#lost(evt.error ? evt : new StreamEnd('ConnectionReset', 'upstream closed the connection'));
    }
  }

  onHead(head: ResponseHead, length: number): void {
    const st = this.stream;
    if (!st) return this.#lost(new StreamEnd('ProtocolError', 'response without a request'));
    if (head.status >= 200 || head.status === 101) {
      if (!wantsKeepAlive(head)) this.#reusable = false;
      if (head.status === 101 || (st.method === 'CONNECT' && head.status < 300)) {
        this.#tunnel = true;
        this.#reusable = false;
      }
    }
    st.responseStarted(head.status);
    st.output.input(new MessageStart(head, length));
  }

  onBody(chunk: Buffer): void {
    this.stream?.output.input(Data.of(chunk));
  }

  onEnd(trailers: Record<string, string> | null): void {
    const st = this.stream;
    if (!st) return;
    // A 1xx is followed by the real response on the same exchange; a tunnel goes on.
    if (this.#tunnel || st.responseStatus() < 200) {
      st.output.input(new MessageEnd(trailers));
      return;
    }
    // Detach before emitting: the MessageEnd may end the stream (and its shutdown must not
    // take this session down with it).
    this.stream = null;
    st.responseDone();
    const max = this.pool.config.maxMessages;
    if (!this.#reusable || !st.requestComplete || (max > 0 && this.messages >= max)) this.close();
    else this.pool.released(this);
    st.output.input(new MessageEnd(trailers));
  }

  onError(_status: number, reason: string): void {
    this.#lost(new StreamEnd('ProtocolError', `bad response from upstream: ${reason}`));
  }

  onTunnel(chunk: Buffer): void {
    this.stream?.output.input(Data.of(chunk));
  }

  #lost(evt: StreamEnd): void {
    if (this.#closed) return;
    const st = this.stream;
    this.stream = null;
    this.close();
    if (st) st.sessionLost(evt, !this.#responseBytes && this.reused);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pipeline.shutdown();
    this.pool.removed(this);
  }

  /** Idle for longer than maxIdle? */
  expired(now: number): boolean {
    return this.stream === null && now - this.idleSince >= this.pool.config.maxIdle;
  }
}

export class MuxHTTP extends JointFilter {
  readonly config: MuxHTTPConfig;
  #session: Session | null = null;
  #pool: SessionPool | null = null;
  #held: Event[] | null = null;
  #kept: Kept | null = null;
  #method = 'GET';
  #status = 0;
  #retried = false;
  #requestEnded = false;
  #done = false;

  constructor(config: MuxHTTPConfig) {
    super();
    this.config = config;
  }

  clone(): MuxHTTP {
    const f = new MuxHTTP(this.config);
    f.subs = this.subs;
    return f;
  }

  describe(): string {
    return 'muxHTTP';
  }

  get method(): string {
    return this.#method;
  }

  get requestComplete(): boolean {
    return this.#requestEnded;
  }

  responseStatus(): number {
    return this.#status;
  }

  responseStarted(status: number): void {
    this.#status = status;
  }

  input(evt: Event): void {
    if (this.#done) return;
    switch (evt.kind) {
      case Kind.MessageStart: {
        if (this.#pool !== null) return; // one request per stream
        const head = evt.head as RequestHead;
        this.#method = head.method ?? 'GET';
        if (IDEMPOTENT.has(this.#method)) this.#kept = { head, length: evt.length, body: null, size: 0, tail: null, ended: false };
        const pool = this.#poolFor();
        if (!pool) return;
        this.#pool = pool;
        this.retryAcquire(evt);
        return;
      }
      case Kind.Data: {
        const k = this.#kept;
        if (k !== null && !k.ended) {
          if (k.size + evt.size > this.config.retryBufferSize) this.#kept = null;
          else {
            const body = (k.body ??= []);
            const chunks = evt.chunks;
            for (let i = 0; i < chunks.length; i++) (body.push(chunks[i]!), (k.size += chunks[i]!.length));
          }
        }
        break;
      }
      case Kind.MessageEnd:
        this.#requestEnded = true;
        if (this.#kept) {
          this.#kept.tail = evt.tail;
          this.#kept.ended = true;
        }
        break;
      case Kind.StreamEnd:
        if (this.#session && this.#status !== 0) this.#session.endTunnel(evt);
        else if (this.#held) this.#held.push(evt);
        // An error before any request (a script callback upstream of us threw) ends the
        // stream here: passed on, demuxHTTP answers it (500 for RuntimeError).
        else if (this.#pool === null && evt.error) this.#finish(evt);
        return;
    }
    if (this.#held !== null) this.#held.push(evt);
    else this.#forward(evt);
  }

  #poolFor(): SessionPool | null {
    const c = this.config;
    let key: unknown;
    if (c.key) {
      try {
        key = c.key(this.context);
      } catch (err) {
        counters.scriptErrors++;
        this.#finish(new StreamEnd('RuntimeError', reportScriptError('muxHTTP', err)));
        return null;
      }
    } else {
      key = this.context.inbound ?? null;
    }
    let pool = c.pools.get(key);
    if (!pool) {
      pool = new SessionPool(key, c, this.subs[0]!);
      c.pools.set(key, pool);
      // Pipy's default key: the session belongs to the inbound connection and goes with it.
      if (!c.key) this.context.inbound?.socket?.once('close', closePoolOf(pool));
    }
    return pool;
  }

  /**
   * Tries to get a session (again, after one freed up). `first` is the request's MessageStart
   * when nothing is held yet: usually a session is free at once, and then nothing is.
   */
  retryAcquire(first: Event | null = null): void {
    if (this.#done || this.#session || !this.#pool) return;
    const s = this.#pool.acquire(this, this.#retried);
    if (s) {
      this.assign(s);
      if (first !== null && this.#session === s) this.#forward(first);
      return;
    }
    if (first !== null) this.#held = [first];
    if (!this.#pool.waiting.includes(this)) this.#finish(new StreamEnd('BufferOverflow', 'too many requests waiting for an upstream connection'));
  }

  assign(s: Session): void {
    if (this.#done) {
      s.pool.released(s);
      return;
    }
    this.#session = s;
    s.begin(this, this.#method);
    const held = this.#held;
    this.#held = null;
    if (held !== null) for (let i = 0; i < held.length && this.#session === s; i++) this.#forward(held[i]!);
  }

  #forward(evt: Event): void {
    const s = this.#session!;
    try {
      switch (evt.kind) {
        case Kind.MessageStart:
          s.start(evt.head, evt.length);
          break;
        case Kind.Data: {
          const chunks = evt.chunks;
          for (let i = 0; i < chunks.length; i++) s.body(chunks[i]!);
          break;
        }
        case Kind.MessageEnd:
          s.end(evt.tail);
          break;
        case Kind.StreamEnd:
          s.endTunnel(evt);
          break;
      }
    } catch (err) {
      // The encoder refused the request (CR/LF in a header a script set, a body longer than
      // its length...): an exception must not escape into the socket's read handler, and the
      // session's framing is now unknown, so it cannot be reused.
      this.#session = null;
      if (s.stream === this) s.stream = null;
      s.close();
      this.#finish(new StreamEnd('ProtocolError', `muxHTTP: ${(err as Error).message}`));
    }
  }

  responseDone(): void {
    this.#session = null;
    this.#kept = null;
  }

  /** The session died under this stream. */
  sessionLost(evt: StreamEnd, retryable: boolean): void {
    this.#session = null;
    const k = this.#kept;
    if (retryable && !this.#retried && k !== null && this.#status === 0 && (k.ended || !this.#requestEnded)) {
      // RFC 9110 §9.2.2: an idempotent request may be repeated after a connection failure.
      this.#retried = true;
      counters.upstreamRetries++;
      this.#held = [new MessageStart(k.head, k.length)];
      if (k.size) this.#held.push(Data.of(Buffer.concat(k.body!, k.size)));
      if (k.ended) this.#held.push(new MessageEnd(k.tail));
      this.retryAcquire();
      return;
    }
    this.#finish(evt.error ? evt : new StreamEnd('ConnectionReset', evt.message));
  }

  #finish(evt: StreamEnd): void {
    if (this.#done) return;
    this.#done = true;
    this.output.input(evt);
  }

  override shutdown(): void {
    this.#done = true;
    const p = this.#pool;
    if (p) {
      const i = p.waiting.indexOf(this);
      if (i >= 0) p.waiting.splice(i, 1);
    }
    const s = this.#session;
    this.#session = null;
    // Mid-exchange: the connection's state is unknown, so it cannot go back to the pool.
    if (s && s.stream === this) {
      s.stream = null;
      s.close();
    }
  }
}

function closePoolOf(pool: SessionPool): () => void {
  return () => pool.close();
}

// One sweeper for every pool: closes sessions idle past maxIdle without a timer per session.
// Only pools that hold idle sessions are tracked, so pools of retired scripts fall away.
const idlePools = new Set<SessionPool>();
let sweeper: NodeJS.Timeout | null = null;

function watchIdlePool(pool: SessionPool): void {
  idlePools.add(pool);
  if (sweeper) return;
  sweeper = setInterval(sweep, 1000);
  sweeper.unref();
}

function sweep(): void {
  const now = performance.now();
  for (const pool of idlePools) {
    for (let i = pool.idle.length - 1; i >= 0; i--) {
      const s = pool.idle[i]!;
      if (s.expired(now)) s.close();
    }
    if (pool.idle.length === 0) idlePools.delete(pool);
  }
  if (idlePools.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = null;
  }
}
