// `acceptHTTPTunnel(handler).to($ => ...)`: the server side of an HTTP tunnel (CONNECT, RFC 9110
// §9.3.6; or Upgrade, §7.8). The input is a connection's raw bytes:
//
//   bytes --> RequestDecoder --> one request --> handler(msg, ctx) --> response written back
//     2xx to CONNECT / 101 to Upgrade: the rest of the stream, both ways, goes through the
//                                      sub-pipeline as raw Data (its output is ours)
//     anything else:                   the response is written and the connection closes
//
// Bytes the client sends right after the request head (before the verdict) are held by the
// decoder and handed to the sub-pipeline first, in order; so is a FIN that arrived meanwhile.
// Malformed requests get a 400 (or 413/431/501/505) and the stream ends with ProtocolError.

import { Data, Kind, Message, StreamEnd, type Event } from '../engine/event.ts';
import { JointFilter } from '../engine/filter.ts';
import type { Pipeline } from '../engine/pipeline.ts';
import type { RequestHead } from '../codecs/http1/head.ts';
import type { DecoderSink, Http1Limits, RequestDecoder } from '../codecs/http1/types.ts';
import { createRequestDecoder } from '../codecs/http1/decoder.ts';
import { createResponseEncoder } from '../codecs/http1/encoder.ts';
import { isPromise } from '../engine/result.ts';
import { reportScriptError } from '../engine/script-error.ts';
import { dispatch } from '../net/flow.ts';
import { counters } from '../admin/counters.ts';

export type TunnelHandler = Message | ((req: Message<RequestHead>, ctx: any) => unknown);

export interface AcceptHTTPTunnelConfig {
  readonly handler: TunnelHandler;
  readonly limits: Readonly<Http1Limits>;
  /** Most request-body bytes collected for the handler (CONNECT has none). */
  readonly maxBodySize: number;
}

const State = { Request: 0, Deciding: 1, Tunnel: 2, Done: 3 } as const;
type State = (typeof State)[keyof typeof State];

export class AcceptHTTPTunnel extends JointFilter implements DecoderSink<RequestHead> {
  readonly config: AcceptHTTPTunnelConfig;
  #state: State = State.Request;
  #decoder: RequestDecoder | null = null;
  #head: RequestHead | null = null;
  #body: Data | null = null;
  #sub: Pipeline | null = null;
  /** The client's FIN, when it came before the tunnel was up. */
  #inputEnd: StreamEnd | null = null;

  constructor(config: AcceptHTTPTunnelConfig) {
    super();
    this.config = config;
  }

  clone(): AcceptHTTPTunnel {
    const f = new AcceptHTTPTunnel(this.config);
    f.subs = this.subs;
    return f;
  }

  describe(): string {
    return 'acceptHTTPTunnel';
  }

  input(evt: Event): void {
    switch (this.#state) {
      case State.Tunnel:
        // Raw bytes go through the decoder (it is in tunnel state and only forwards them),
        // so nothing it still held can be overtaken.
        if (evt.kind === Kind.Data) for (const c of evt.chunks) this.#decoder!.write(c);
        else if (evt.kind === Kind.StreamEnd) this.#sub?.input(evt);
        return;
      case State.Done:
        return;
    }
    if (evt.kind === Kind.Data) {
      const d = (this.#decoder ??= createRequestDecoder(this, this.config.limits));
      for (const c of evt.chunks) d.write(c);
    } else if (evt.kind === Kind.StreamEnd) {
      if (evt.error) return this.#end(evt);
      this.#inputEnd = evt;
      if (this.#state === State.Request) {
        this.#decoder?.end();
        // Closed before a whole request: nothing to answer.
        if (this.#state === State.Request) this.#end(evt);
      }
    }
  }

  // ---- DecoderSink ----

  onHead(head: RequestHead, _length: number): void {
    if (this.#state !== State.Request || this.#head !== null) return;
    this.#head = head;
    this.#body = new Data();
  }

  onBody(chunk: Buffer): void {
    const b = this.#body;
    if (b === null || this.#state !== State.Request) return;
    if (b.size + chunk.length > this.config.maxBodySize) {
      this.#reject(413, 'request body too large');
      return;
    }
    b.push(chunk);
  }

  onEnd(trailers: Record<string, string> | null): void {
    if (this.#state !== State.Request || this.#head === null) return;
    this.#state = State.Deciding;
    const msg = new Message<RequestHead>(this.#head, this.#body, trailers);
    this.#body = null;
    const h = this.config.handler;
    let r: unknown;
    if (h instanceof Message) r = h;
    else {
      try {
        r = h(msg, this.context);
      } catch (err) {
        return this.#scriptFailed(err);
      }
    }
    if (isPromise(r)) {
      r.then(
        (v) => dispatch(null, this, this.#settled, v),
        (e) => dispatch(null, this, this.#rejected, e),
      );
      return;
    }
    this.#respond(r);
  }

  onError(status: number, reason: string): void {
    this.#reject(status, reason);
  }

  onTunnel(chunk: Buffer): void {
    this.#sub?.input(Data.of(chunk));
  }

  // ---- the verdict ----

  #settled(v: unknown): void {
    if (this.#state !== State.Deciding || this.pipeline.ended) return;
    this.#respond(v);
  }

  #rejected(err: unknown): void {
    if (this.#state !== State.Deciding || this.pipeline.ended) return;
    this.#scriptFailed(err);
  }

  #scriptFailed(err: unknown): void {
    counters.scriptErrors++;
    const msg = reportScriptError('acceptHTTPTunnel', err);
    this.#writeResponse({ status: 500 }, null, false);
    this.#end(new StreamEnd('RuntimeError', msg));
  }

  #respond(r: unknown): void {
    if (!(r instanceof Message)) {
      this.#scriptFailed(new TypeError('acceptHTTPTunnel handler must return a Message'));
      return;
    }
    const head = r.head as { status?: number };
    const status = head.status ?? 200;
    const method = this.#head!.method;
    const tunnel = this.#decoder!.awaitingTunnel && (status === 101 || (method === 'CONNECT' && status >= 200 && status < 300));
    if (!this.#writeResponse(r.head, r.body, tunnel)) return;
    if (!tunnel) {
      this.#end(StreamEnd.OK);
      return;
    }
    this.#state = State.Tunnel;
    this.#sub = this.subs[0]!.instantiate(this.context, this.output);
    // Held bytes first (through onTunnel), then a FIN that came while we decided.
    this.#decoder!.acceptTunnel(true);
    const fin = this.#inputEnd;
    this.#inputEnd = null;
    if (fin !== null) this.#sub?.input(fin);
  }

  /** Writes a response head (and body unless it is a tunnel); false if the encoder refused it. */
  #writeResponse(head: object, body: Data | null, tunnel: boolean): boolean {
    const out = this.output;
    const enc = createResponseEncoder((b) => out.input(Data.of(b)), { bufferSize: 0 });
    const method = this.#head?.method ?? 'GET';
    try {
      enc.start(head, tunnel ? 0 : (body?.size ?? 0), method, tunnel);
      if (!tunnel && body) for (const c of body.chunks) enc.body(c);
      enc.end(null);
    } catch (err) {
      this.#end(new StreamEnd('ProtocolError', `acceptHTTPTunnel: ${(err as Error).message}`));
      return false;
    }
    return true;
  }

  #reject(status: number, reason: string): void {
    if (this.#state !== State.Request) return;
    this.#head = null;
    this.#writeResponse({ status }, null, false);
    this.#end(new StreamEnd('ProtocolError', `acceptHTTPTunnel: ${status} ${reason}`));
  }

  #end(evt: StreamEnd): void {
    if (this.#state === State.Done) return;
    this.#state = State.Done;
    this.output.input(evt);
  }

  override shutdown(): void {
    this.#state = State.Done;
    this.#sub?.shutdown();
    this.#sub = null;
  }
}
