// `connectHTTPTunnel(target).to($ => $.connect('proxy:port'))`: the client side of an HTTP
// CONNECT tunnel (RFC 9110 §9.3.6). At the stream's first event the sub-pipeline gets
// `CONNECT target HTTP/1.1` (with Host); once it answers 2xx, the stream's raw Data flows
// through it both ways.
//
//   input Data --(held until 2xx, bounded)--> sub-pipeline --> proxy
//   output    <-- raw bytes after the 2xx  <-- ResponseDecoder <--'
//
// A refusal ends the stream: 407 with Unauthorized, any other status with ConnectionRefused,
// a malformed response with ProtocolError; the status is in the StreamEnd message.

import { Data, Kind, StreamEnd, type Event } from '../engine/event.ts';
import { JointFilter, type EventTarget } from '../engine/filter.ts';
import type { Pipeline } from '../engine/pipeline.ts';
import type { ResponseHead } from '../codecs/http1/head.ts';
import type { DecoderSink, Http1Limits, ResponseDecoder } from '../codecs/http1/types.ts';
import { createResponseDecoder } from '../codecs/http1/decoder.ts';
import { reportScriptError } from '../engine/script-error.ts';
import { counters } from '../admin/counters.ts';

export interface ConnectHTTPTunnelOptions {
  /** Most input bytes held until the proxy accepts (default 1m); beyond: BufferOverflow. */
  bufferLimit?: number | string;
  maxHeadSize?: number | string;
  maxHeaders?: number;
}

export interface ConnectHTTPTunnelConfig {
  /** Fixed authority ('host:port'), or null when `resolve` computes it per stream. */
  readonly target: string | null;
  readonly resolve: ((ctx: any) => string) | null;
  /** Most bytes of input held while waiting for the proxy's answer. */
  readonly bufferLimit: number;
  readonly limits: Readonly<Http1Limits>;
}

/** An authority-form request target (RFC 9112 §3.2.3): host:port, no spaces or controls. */
export function checkAuthority(t: string): string | null {
  if (!/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+):\d{1,5}$/.test(t)) return `invalid tunnel target ${JSON.stringify(t)} (expected 'host:port')`;
  return null;
}

const State = { Idle: 0, Waiting: 1, Open: 2, Done: 3 } as const;
type State = (typeof State)[keyof typeof State];

export class ConnectHTTPTunnel extends JointFilter implements DecoderSink<ResponseHead> {
  readonly config: ConnectHTTPTunnelConfig;
  #state: State = State.Idle;
  #sub: Pipeline | null = null;
  #decoder: ResponseDecoder | null = null;
  #held: Event[] = [];
  #heldSize = 0;
  #target = '';
  #accepted = false;
  /** The sub-pipeline's output, before and after the tunnel is up. */
  readonly #reply: EventTarget = new ProxySide(this);

  constructor(config: ConnectHTTPTunnelConfig) {
    super();
    this.config = config;
  }

  clone(): ConnectHTTPTunnel {
    const f = new ConnectHTTPTunnel(this.config);
    f.subs = this.subs;
    return f;
  }

  describe(): string {
    return 'connectHTTPTunnel';
  }

  input(evt: Event): void {
    switch (this.#state) {
      case State.Open:
        if (evt.kind === Kind.Data || evt.kind === Kind.StreamEnd) this.#sub!.input(evt);
        return;
      case State.Done:
        return;
      case State.Idle:
        if (!this.#start()) return;
    }
    if (evt.kind === Kind.Data) {
      this.#heldSize += evt.size;
      if (this.#heldSize > this.config.bufferLimit) {
        this.#end(new StreamEnd('BufferOverflow', `connectHTTPTunnel: more than ${this.config.bufferLimit} bytes before the tunnel opened`));
        return;
      }
      this.#held.push(evt);
    } else if (evt.kind === Kind.StreamEnd) {
      if (evt.error) this.#end(evt);
      else this.#held.push(evt);
    }
  }

  #start(): boolean {
    const c = this.config;
    let t = c.target;
    if (t === null) {
      try {
        t = String(c.resolve!(this.context));
      } catch (err) {
        counters.scriptErrors++;
        this.#end(new StreamEnd('RuntimeError', reportScriptError('connectHTTPTunnel', err)));
        return false;
      }
      const bad = checkAuthority(t);
      if (bad) {
        this.#end(new StreamEnd('RuntimeError', `connectHTTPTunnel: ${bad}`));
        return false;
      }
    }
    this.#target = t;
    this.#state = State.Waiting;
    this.#decoder = createResponseDecoder(this, c.limits);
    this.#decoder.expect('CONNECT');
    this.#sub = this.subs[0]!.instantiate(this.context, this.#reply);
    this.#sub.input(Data.of(Buffer.from(`CONNECT ${t} HTTP/1.1\r\nhost: ${t}\r\n\r\n`, 'latin1')));
    return true;
  }

  fromProxy(evt: Event): void {
    if (this.#state === State.Open) {
      this.output.input(evt);
      return;
    }
    if (this.#state !== State.Waiting) return;
    if (evt.kind === Kind.Data) {
      for (const c of evt.chunks) {
        if (this.#state !== State.Waiting && this.#state !== State.Open) return;
        this.#decoder!.write(c);
      }
    } else if (evt.kind === Kind.StreamEnd) {
      this.#end(evt.error ? evt : new StreamEnd('ConnectionRefused', `connectHTTPTunnel: ${this.#target}: proxy closed before answering`));
    }
  }

  // ---- DecoderSink: the proxy's answer ----

  onHead(head: ResponseHead, _length: number): void {
    const s = head.status;
    if (s < 200) return; // interim (100, 102, 103): the answer is still to come
    if (s < 300) {
      // Accepted: the decoder turns what follows the head into onTunnel.
      this.#accepted = true;
      return;
    }
    const msg = `connectHTTPTunnel: ${this.#target}: proxy answered ${s} ${head.statusText}`.trimEnd();
    this.#end(new StreamEnd(s === 407 ? 'Unauthorized' : 'ConnectionRefused', msg));
  }

  onBody(_chunk: Buffer): void {}

  onEnd(_trailers: Record<string, string> | null): void {
    // Interim responses (1xx) end too; the final answer is still to come.
    if (this.#state === State.Waiting && this.#accepted) this.#open();
  }

  onError(status: number, reason: string): void {
    this.#end(new StreamEnd('ProtocolError', `connectHTTPTunnel: ${this.#target}: bad answer from proxy (${status} ${reason})`));
  }

  onTunnel(chunk: Buffer): void {
    if (this.#state === State.Open) this.output.input(Data.of(chunk));
  }

  #open(): void {
    this.#state = State.Open;
    const held = this.#held;
    this.#held = [];
    this.#heldSize = 0;
    for (let i = 0; i < held.length && this.#state === State.Open; i++) this.#sub!.input(held[i]!);
  }

  #end(evt: StreamEnd): void {
    if (this.#state === State.Done) return;
    this.#state = State.Done;
    this.#held = [];
    this.#sub?.shutdown();
    this.#sub = null;
    this.output.input(evt);
  }

  override shutdown(): void {
    this.#state = State.Done;
    this.#held = [];
    this.#sub?.shutdown();
    this.#sub = null;
  }
}

/** Where the sub-pipeline's output goes (no per-stream closure). */
class ProxySide implements EventTarget {
  readonly #owner: ConnectHTTPTunnel;
  constructor(owner: ConnectHTTPTunnel) {
    this.#owner = owner;
  }
  input(evt: Event): void {
    this.#owner.fromProxy(evt);
  }
}
