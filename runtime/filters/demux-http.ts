// `demuxHTTP()`: decodes HTTP/1.1 requests from the connection's bytes and runs one
// sub-pipeline per request (demux); responses are encoded back in request order, so a
// pipelined client gets them as it asked, whatever order the sub-pipelines finish in.
//
//   bytes --> RequestDecoder --> [stream 1: sub-pipeline] --> held until its turn --+
//                           \--> [stream 2: sub-pipeline] --> held -----------------+--> ResponseEncoder --> bytes
//
// A stream's sub-pipeline gets a copy of the connection's context. A sub-pipeline that ends
// without a response gets one made from its StreamEnd code (502, 504, ...). Malformed input
// gets 400/413/431/501/505 after the responses already owed, then the connection closes.
// After a 101 (or a 2xx to CONNECT) the stream becomes a byte tunnel in both directions.

import { Data, Kind, MessageEnd, MessageStart, StreamEnd, type Event, type StreamEndCode } from '../engine/event.ts';
import { JointFilter, type EventTarget } from '../engine/filter.ts';
import type { Pipeline, PipelineLayout } from '../engine/pipeline.ts';
import { ResponseHead, type RequestHead, type ResponseHeadInit } from '../codecs/http1/head.ts';
import type { DecoderSink, Http1Limits, RequestDecoder, ResponseEncoder } from '../codecs/http1/types.ts';
import { createRequestDecoder, wantsKeepAlive } from '../codecs/http1/decoder.ts';
import { createResponseEncoder } from '../codecs/http1/encoder.ts';
import { counters, countResponse } from '../admin/counters.ts';
import { lifecycle } from '../engine/lifecycle.ts';
import { log } from '../engine/log.ts';

export interface DemuxHTTPConfig {
  readonly limits: Readonly<Http1Limits>;
  readonly bufferSize: number;
  /** Most requests outstanding (pipelined) before the connection stops being read. */
  readonly maxPipelined: number;
}

/** The response a stream gets when its sub-pipeline ends without one. */
export function statusForStreamEnd(code: StreamEndCode): number {
  switch (code) {
    case 'ConnectionTimeout': case 'ReadTimeout': case 'WriteTimeout': case 'IdleTimeout': return 504;
    case 'Unauthorized': return 401;
    case 'BufferOverflow': return 413;
    case 'RuntimeError': return 500;
    default: return 502;
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 413: 'Content Too Large', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** One request/response exchange on the connection. */
class HttpStream implements EventTarget {
  readonly demux: DemuxHTTP;
  readonly method: string;
  readonly keepAlive: boolean;
  /** The request asked for a tunnel (CONNECT, or Upgrade: known once the request is complete). */
  upgrade: boolean;
  pipeline: Pipeline | null = null;
  /** Output held while an earlier response is still being written. */
  held: Event[] | null = null;
  requestDone = false;
  responseStarted = false;
  responseDone = false;
  tunnel = false;
  /** A canned error response (decoder error): written when its turn comes. */
  errorStatus = 0;
  errorReason = '';
  /** The connection closes once this response is written. */
  closeAfter = false;

  constructor(demux: DemuxHTTP, method: string, keepAlive: boolean, upgrade: boolean) {
    this.demux = demux;
    this.method = method;
    this.keepAlive = keepAlive;
    this.upgrade = upgrade;
  }

  input(evt: Event): void {
    if (this.demux.isCurrent(this)) this.demux.write(this, evt);
    else (this.held ??= []).push(evt);
  }
}

export class DemuxHTTP extends JointFilter implements DecoderSink<RequestHead> {
  readonly config: DemuxHTTPConfig;
  #decoder: RequestDecoder | null = null;
  #encoder: ResponseEncoder | null = null;
  /**
   * Encoder for relayed responses of unknown length (bufferSize 0: chunked from the first
   * byte). Buffering them to compute a content-length would hold a slow stream (SSE, progress
   * output) until 16k accumulate, and lose what was held if the upstream then fails.
   */
  #streamEncoder: ResponseEncoder | null = null;
  /** The encoder of the response being written. */
  #current: ResponseEncoder | null = null;
  readonly #queue: HttpStream[] = [];
  /** The stream whose request body is arriving. */
  #receiving: HttpStream | null = null;
  #inputEnded = false;
  #closed = false;
  #paused = false;

  constructor(config: DemuxHTTPConfig) {
    super();
    this.config = config;
  }

  clone(): DemuxHTTP {
    const f = new DemuxHTTP(this.config);
    f.subs = this.subs;
    return f;
  }

  describe(): string {
    return 'demuxHTTP';
  }

  /** Builds the sub-pipeline for one request; serveHTTP overrides nothing but the layout. */
  protected layoutFor(): PipelineLayout {
    return this.subs[0]!;
  }

  input(evt: Event): void {
    if (this.#closed) return;
    switch (evt.kind) {
      case Kind.Data: {
        let d = this.#decoder;
        if (d === null) {
          d = this.#decoder = createRequestDecoder(this, this.config.limits);
          const ib = this.context.inbound;
          if (ib && ib.httpBusy === null) ib.httpBusy = false;
        }
        const chunks = evt.chunks;
        for (let i = 0; i < chunks.length && !this.#closed; i++) d.write(chunks[i]!);
        break;
      }
      case Kind.StreamEnd:
        this.#inputEnded = true;
        if (evt.error) {
          // The client is gone: nothing more can be answered.
          this.#abort(evt);
          return;
        }
        this.#decoder?.end();
        {
          const t = this.#queue.length ? this.#queue[this.#queue.length - 1]! : null;
          if (t?.tunnel) t.pipeline?.input(evt);
        }
        this.#maybeClose();
        break;
    }
  }

  // ---- DecoderSink: requests arriving ----

  onHead(head: RequestHead, length: number): void {
    counters.requests++;
    const ib = this.context.inbound;
    if (ib) ib.httpBusy = true;
    const keepAlive = wantsKeepAlive(head);
    const upgrade = this.#decoder!.awaitingTunnel;
    const s = new HttpStream(this, head.method, keepAlive, upgrade || head.method === 'CONNECT');
    this.#queue.push(s);
    this.#receiving = s;
    if (this.#queue.length > this.config.maxPipelined && !this.#paused) {
      this.#paused = true;
      this.context.inbound?.source?.pause();
    }
    const ctx = { ...this.context };
    s.pipeline = this.layoutFor().instantiate(ctx, s);
    if (this.#queue.length === 1 && head.header('expect')?.toLowerCase() === '100-continue') {
      // RFC 9110 §10.1.1: a proxy may answer 100 itself. Interim responses from upstream are
      // then dropped (see write), so the client sees exactly one.
      this.#out(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'));
    }
    s.pipeline.input(new MessageStart(head, length));
  }

  onBody(chunk: Buffer): void {
    this.#receiving?.pipeline?.input(Data.of(chunk));
  }

  onEnd(trailers: Record<string, string> | null): void {
    const s = this.#receiving;
    if (!s) return;
    this.#receiving = null;
    s.requestDone = true;
    // The decoder decides Upgrade only once the request is complete (it then waits for the
    // response's verdict): onHead was too early to tell.
    if (this.#decoder?.awaitingTunnel) s.upgrade = true;
    s.pipeline?.input(new MessageEnd(trailers));
    if (s.responseDone && !s.tunnel) this.#finish(s);
  }

  onError(status: number, reason: string): void {
    counters.badRequests++;
    log.debug(`demuxHTTP: ${status} ${reason} from ${this.context.inbound?.remoteAddress ?? '?'}`);
    const cut = this.#receiving;
    this.#receiving = null;
    if (cut && !cut.responseStarted) {
      // Its request was malformed midway: it gets the error response, not its own.
      cut.pipeline?.shutdown();
      cut.pipeline = null;
      cut.held = null;
      cut.errorStatus = status;
      cut.errorReason = reason;
      cut.requestDone = true;
    } else {
      const s = new HttpStream(this, 'GET', false, false);
      s.errorStatus = status;
      s.errorReason = reason;
      s.requestDone = true;
      this.#queue.push(s);
    }
    // Nothing after a malformed request can be trusted: stop reading.
    this.#inputEnded = true;
    this.#flushQueue();
  }

  onTunnel(chunk: Buffer): void {
    const t = this.#queue[this.#queue.length - 1];
    t?.pipeline?.input(Data.of(chunk));
  }

  // ---- responses leaving ----

  isCurrent(s: HttpStream): boolean {
    return this.#queue[0] === s;
  }

  #out(buf: Buffer): void {
    this.output.input(Data.of(buf));
  }

  #emitBytes = (buf: Buffer): void => {
    this.output.input(Data.of(buf));
  };

  write(s: HttpStream, evt: Event): void {
    if (this.#closed) return;
    let enc = (this.#current ??= this.#encoder ??= createResponseEncoder(this.#emitBytes, { bufferSize: this.config.bufferSize }));
    switch (evt.kind) {
      case Kind.MessageStart: {
        if (s.responseStarted) return;
        enc = this.#current =
          evt.length < 0 && evt.head instanceof ResponseHead
            ? (this.#streamEncoder ??= createResponseEncoder(this.#emitBytes, { bufferSize: 0 }))
            : (this.#encoder ??= createResponseEncoder(this.#emitBytes, { bufferSize: this.config.bufferSize }));
        const head = evt.head as ResponseHeadInit;
        const status = head.status ?? 200;
        if (status < 200 && status !== 101) return; // interim: see onHead
        s.responseStarted = true;
        const tunnel = s.upgrade && (status === 101 || (s.method === 'CONNECT' && status < 300));
        if (s.upgrade && !tunnel && this.#decoder?.awaitingTunnel) this.#decoder.acceptTunnel(false);
        s.tunnel = tunnel;
        // A response that overtakes its request's body cannot leave the connection reusable.
        const keepAlive = s.keepAlive && s.requestDone && !lifecycle.draining;
        if (!keepAlive && !tunnel) s.closeAfter = true;
        countResponse(status);
        try {
          enc.start(head, evt.length, s.method, keepAlive || tunnel);
        } catch (err) {
          this.#abort(new StreamEnd('ProtocolError', (err as Error).message));
          return;
        }
        if (tunnel) this.#decoder?.acceptTunnel(true);
        return;
      }
      case Kind.Data:
        if (!s.responseStarted) return;
        if (s.tunnel) {
          // Raw bytes after a 101 / 2xx to CONNECT (the response's MessageEnd came already).
          this.output.input(evt);
          return;
        }
        try {
          const chunks = evt.chunks;
          for (let i = 0; i < chunks.length; i++) enc.body(chunks[i]!);
        } catch (err) {
          this.#abort(new StreamEnd('ProtocolError', (err as Error).message));
        }
        return;
      case Kind.MessageEnd:
        if (!s.responseStarted || s.responseDone) return;
        try {
          enc.end(evt.tail);
        } catch (err) {
          this.#abort(new StreamEnd('ProtocolError', (err as Error).message));
          return;
        }
        s.responseDone = true;
        if (!s.tunnel && (s.requestDone || s.closeAfter)) this.#finish(s);
        return;
      case Kind.StreamEnd:
        if (s.tunnel) {
          // The tunnel's far side closed: so does the connection.
          this.#closeWith(evt);
          return;
        }
        if (!s.responseStarted) {
          this.#writeError(s, statusForStreamEnd(evt.error), evt.error ? `${evt.error} ${evt.message}` : 'no response');
          return;
        }
        if (!s.responseDone) {
          // Cut off mid-response: the client must not take a short body as whole.
          this.#abort(evt.error ? evt : new StreamEnd('ConnectionReset', 'response ended early'));
        }
        return;
    }
  }

  #writeError(s: HttpStream, status: number, reason: string): void {
    const body = `${status} ${REASONS[status] ?? ''}\n`;
    const keepAlive = s.keepAlive && s.requestDone && s.errorStatus === 0 && !lifecycle.draining;
    const head: ResponseHeadInit = { status, headers: { 'content-type': 'text/plain' } };
    if (reason) log.debug(`demuxHTTP: answering ${status}: ${reason}`);
    s.responseStarted = true;
    s.responseDone = true;
    countResponse(status);
    const enc = (this.#encoder ??= createResponseEncoder(this.#emitBytes, { bufferSize: this.config.bufferSize }));
    enc.start(head, body.length, s.method, keepAlive);
    enc.body(Buffer.from(body));
    enc.end(null);
    if (!keepAlive) s.closeAfter = true;
    this.#finish(s);
  }

  /** The current stream's response is complete: retire it and let the next one speak. */
  #finish(s: HttpStream): void {
    if (this.#queue[0] !== s) return;
    this.#queue.shift();
    if (s.requestDone) s.pipeline?.shutdown();
    else {
      // The response overtook the request: the rest of the request body is unwanted.
      s.pipeline?.shutdown();
      if (this.#receiving === s) this.#receiving = null;
    }
    if (s.closeAfter) {
      this.#closeWith(StreamEnd.OK);
      return;
    }
    if (this.#paused && this.#queue.length <= this.config.maxPipelined) {
      this.#paused = false;
      this.context.inbound?.source?.resume();
    }
    if (this.#queue.length === 0) {
      const ib = this.context.inbound;
      if (ib) ib.httpBusy = false;
    }
    this.#flushQueue();
    this.#maybeClose();
  }

  /** Lets the new head of the queue write what it has held. */
  #flushQueue(): void {
    const s = this.#queue[0];
    if (!s || this.#closed) return;
    if (s.errorStatus > 0 && !s.responseStarted) {
      this.#writeError(s, s.errorStatus, s.errorReason);
      return;
    }
    const held = s.held;
    if (held === null) return;
    s.held = null;
    for (let i = 0; i < held.length && this.#queue[0] === s; i++) this.write(s, held[i]!);
  }

  #maybeClose(): void {
    if (this.#inputEnded && this.#queue.length === 0 && this.#receiving === null) this.#closeWith(StreamEnd.OK);
  }

  #closeWith(evt: StreamEnd): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#shutdownStreams();
    this.output.input(evt);
  }

  #abort(evt: StreamEnd): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#shutdownStreams();
    this.output.input(evt.error ? evt : new StreamEnd('ConnectionReset', evt.message));
  }

  #shutdownStreams(): void {
    for (const s of this.#queue) s.pipeline?.shutdown();
    this.#queue.length = 0;
    this.#receiving = null;
  }

  override shutdown(): void {
    this.#closed = true;
    this.#shutdownStreams();
  }
}
