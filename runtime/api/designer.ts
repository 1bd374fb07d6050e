// The designer: `$` in `pipy.listen(port, $ => $.demuxHTTP().to(...))`. It is the only map
// from a script's `$.name(args)` to filter constructors. Options are checked and normalised
// here, at load time, into frozen configs of plain numbers and functions, so no filter reads
// script options on the hot path. Mistakes throw ConfigError naming the filter and option.

import type { Event, Data, MessageStart, MessageEnd, StreamEnd } from '../engine/event.ts';
import { Message } from '../engine/event.ts';
import { ConfigError } from '../engine/errors.ts';
import { Filter, JointFilter } from '../engine/filter.ts';
import { PipelineLayout } from '../engine/pipeline.ts';
import { isPromise } from '../engine/result.ts';
import { StreamEnd as StreamEndEvent } from '../engine/event.ts';
import type { InboundInfo } from '../net/inbound.ts';
import { DEFAULT_LIMITS, type Http1Limits } from '../codecs/http1/types.ts';
import type { RequestHead, ResponseHead } from '../codecs/http1/head.ts';
import { Connect, parseTarget, type ConnectConfig } from '../filters/connect.ts';
import { offerHandOff } from '../filters/connect-offload.ts';
import { DemuxHTTP } from '../filters/demux-http.ts';
import { ServeHTTP } from '../filters/serve-http.ts';
import { MuxHTTP, type SessionPool } from '../filters/mux-http.ts';
import { HandleStreamStart } from '../filters/handle-stream-start.ts';
import { HandleMessageStart } from '../filters/handle-message-start.ts';
import { HandleMessage } from '../filters/handle-message.ts';
import { HandleMessageEnd } from '../filters/handle-message-end.ts';
import { HandleData } from '../filters/handle-data.ts';
import { HandleStreamEnd } from '../filters/handle-stream-end.ts';
import { ReplaceMessageStart } from '../filters/replace-message-start.ts';
import { ReplaceMessage } from '../filters/replace-message.ts';
import { ReplaceMessageEnd } from '../filters/replace-message-end.ts';
import { ReplaceData } from '../filters/replace-data.ts';
import { ReplaceStreamEnd } from '../filters/replace-stream-end.ts';
import type { Replacement } from '../filters/replace-event.ts';
import { Branch, type BranchCondition } from '../filters/branch.ts';
import { Pipe, type PipeChooser, type PipeTarget } from '../filters/pipe.ts';
import { PipeNext } from '../filters/pipe-next.ts';
import { Dump } from '../filters/dump.ts';
import { Fork } from '../filters/fork.ts';
import { Insert, type Insertable } from '../filters/insert.ts';
import { Wait, type WaitOptions } from '../filters/wait.ts';
import { Replay, type ReplayOptions } from '../filters/replay.ts';
import { ThrottleMessageRate } from '../filters/throttle-message-rate.ts';
import { ThrottleDataRate } from '../filters/throttle-data-rate.ts';
import { ThrottleConcurrency } from '../filters/throttle-concurrency.ts';
import type { ThrottleConfig, ThrottleOptions } from '../filters/throttle-base.ts';
import { OnStart } from '../filters/on-start.ts';
import { OnEnd } from '../filters/on-end.ts';
import { Quota } from '../algo/quota.ts';
import { DecodeHTTPRequest } from '../filters/decode-http-request.ts';
import { DecodeHTTPResponse, type DecodeHTTPResponseOptions } from '../filters/decode-http-response.ts';
import { EncodeHTTPRequest, type HTTPEncoderOptions } from '../filters/encode-http-request.ts';
import { EncodeHTTPResponse } from '../filters/encode-http-response.ts';
import { AcceptHTTPTunnel } from '../filters/accept-http-tunnel.ts';
import { ConnectHTTPTunnel, checkAuthority, type ConnectHTTPTunnelOptions } from '../filters/connect-http-tunnel.ts';
import { DetectProtocol, type DetectedProtocol } from '../filters/detect-protocol.ts';
import { count, duration, func, known, oneOf, size } from './options.ts';
import { callerLocation } from './where.ts';

/** The per-stream context a script's callbacks receive: its own fields plus `inbound`. */
export type Ctx<C> = C & { readonly inbound: InboundInfo };
type MaybeAsync<T> = T | Promise<T>;
/** What callbacks may return to emit: events, Messages, arrays of them, or nothing. */
/** (A string is emitted as Data, as emit() in runtime/engine/result.ts does.) */
export type Output = Event | Message | string | null | undefined | void | readonly (Event | Message | string | null | undefined)[];

export type Sub<C extends object> = ((d: Designer<C>) => unknown) | PipelineLayout<C>;
/** A branch() condition: a function of the context (and the first event), or a constant. */
export type BranchCond<C extends object> = ((ctx: Ctx<C>, evt: Event) => unknown) | boolean;

export interface ConnectOptions {
  /** Time to establish the connection (default 10 s). Durations: seconds, or '5s', '100ms'. */
  connectTimeout?: number | string;
  /** Time to wait for data after sending some (default: none). */
  readTimeout?: number | string;
  /** Time a write may stay blocked on a full socket (default: none). */
  writeTimeout?: number | string;
  /** Close after this long without traffic either way (default 60 s). */
  idleTimeout?: number | string;
  /** Extra attempts when connecting fails (refused, timed out, unresolved); default 0. */
  retryCount?: number;
  retryDelay?: number | string;
  /** Most bytes held while connecting (default 1m). */
  bufferLimit?: number | string;
  /** Hand a byte-transparent stream to the kernel when possible (default 'never'). */
  offload?: 'auto' | 'never';
}

export interface HTTPLimitsOptions {
  maxHeadSize?: number | string;
  maxHeaders?: number;
  maxBodySize?: number | string;
}

export interface DemuxHTTPOptions extends HTTPLimitsOptions {
  /** Body bytes buffered to compute Content-Length for responses of unknown length. */
  bufferSize?: number | string;
  /** Most pipelined requests outstanding before reading pauses (default 32). */
  maxPipelined?: number;
}

export interface MuxHTTPOptions extends HTTPLimitsOptions {
  /** Close an upstream connection idle this long (default 60 s). */
  maxIdle?: number | string;
  /** Retire a connection after this many requests (0 = no limit). */
  maxMessages?: number;
  /** Most connections per key (0 = no limit); beyond it requests wait. */
  maxConnections?: number;
  /** Most requests waiting for a connection (default 1000); beyond it they fail. */
  maxPending?: number;
  bufferSize?: number | string;
  /** Only HTTP/1.1 upstreams are spoken today. */
  version?: 1 | '1.1' | 'HTTP/1.1';
}

export interface MessageOptions {
  /** Most body bytes collected for the callback (default 1m). */
  maxBodySize?: number | string;
}

/** A builder of filters, typed by the stream context C. */
export class Designer<C extends object = {}> {
  readonly #layout: PipelineLayout<C>;
  #open: JointFilter | null = null;
  #openName = '';
  /** Where the open joint filter was written (script file:line), for the missing-.to() error. */
  #openWhere = '';

  constructor(layout: PipelineLayout<C>) {
    this.#layout = layout;
  }

  /** Builds a layout from a sub-pipeline argument (a builder function or a layout). */
  static build<C extends object>(sub: Sub<C>, name: string, where: string): PipelineLayout<C> {
    if (sub instanceof PipelineLayout) return sub;
    if (typeof sub !== 'function') throw new ConfigError(`expected a pipeline ($ => $...) or a pipeline() layout`, where);
    const layout = new PipelineLayout<C>(name);
    const d = new Designer<C>(layout);
    const r = sub(d);
    // A one-parameter function is taken as a builder ($ => $...). One that hands back a layout
    // was meant to choose a pipeline per stream: say so instead of building an empty one.
    if (r instanceof PipelineLayout || Array.isArray(r)) {
      throw new ConfigError('a sub-pipeline builder ($ => $...) returned a pipeline: to choose one per stream, take two parameters, (evt, ctx) => layout', where);
    }
    d.finish();
    return layout;
  }

  /** Checks that every joint filter got its `.to()`. */
  finish(): void {
    if (this.#open) throw new ConfigError(`${this.#openName}() needs a sub-pipeline: add .to($ => $...)`, this.#openWhere || this.#layout.name);
  }

  #add(f: Filter, name: string): this {
    this.finish();
    this.#layout.filters.push(f);
    if (f instanceof JointFilter && f.expectsTo()) {
      this.#open = f;
      this.#openName = name;
      this.#openWhere = `${this.#where(name)} in ${this.#layout.name}`;
    }
    return this;
  }

  #where(name: string): string {
    return `${name}() at ${callerLocation()}`;
  }

  /** Gives the preceding joint filter (demuxHTTP, muxHTTP, ...) its sub-pipeline. */
  to(sub: Sub<C>): this {
    const f = this.#open;
    if (!f) throw new ConfigError(`.to() must follow a filter that takes a sub-pipeline (demuxHTTP, muxHTTP, ...)`, this.#where('to'));
    f.subs = [Designer.build(sub, `${this.#layout.name}/${this.#openName}`, this.#where('to'))];
    this.#open = null;
    return this;
  }

  // ---- sockets ----

  connect(target: string | ((ctx: Ctx<C>) => string), options?: ConnectOptions): this {
    const where = this.#where('connect');
    known(options, where, ['connectTimeout', 'readTimeout', 'writeTimeout', 'idleTimeout', 'retryCount', 'retryDelay', 'bufferLimit', 'offload']);
    const o = options ?? {};
    let host: string | null = null;
    let port = 0;
    let resolve: ((ctx: any) => string) | null = null;
    if (typeof target === 'string') {
      try {
        ({ host, port } = parseTarget(target));
      } catch (err) {
        throw new ConfigError((err as Error).message, where);
      }
    } else resolve = func<(ctx: any) => string>(target, where);
    const config: ConnectConfig = Object.freeze({
      host,
      port,
      resolve,
      connectTimeout: duration(o.connectTimeout, `${where}: connectTimeout`, 10_000),
      readTimeout: duration(o.readTimeout, `${where}: readTimeout`, 0),
      writeTimeout: duration(o.writeTimeout, `${where}: writeTimeout`, 0),
      idleTimeout: duration(o.idleTimeout, `${where}: idleTimeout`, 60_000),
      retryCount: count(o.retryCount, `${where}: retryCount`, 0),
      retryDelay: duration(o.retryDelay, `${where}: retryDelay`, 100),
      bufferLimit: size(o.bufferLimit, `${where}: bufferLimit`, 1 << 20),
      offload: oneOf(o.offload, `${where}: offload`, ['auto', 'never'] as const, 'never'),
      onConnected: o.offload === 'auto' ? offerHandOff : null,
    });
    return this.#add(new Connect(config), 'connect');
  }

  // ---- HTTP ----

  demuxHTTP(options?: DemuxHTTPOptions): this {
    const where = this.#where('demuxHTTP');
    known(options, where, ['maxHeadSize', 'maxHeaders', 'maxBodySize', 'bufferSize', 'maxPipelined']);
    return this.#add(new DemuxHTTP(demuxConfig(options, where)), 'demuxHTTP');
  }

  /**
   * Answers each request with `handler(request)`: a Message, or a function returning one
   * (or a promise of one). `new Message({ status: 404 }, 'not found')`.
   */
  serveHTTP(
    handler: Message | ((req: Message<RequestHead>, ctx: Ctx<C>) => MaybeAsync<Message | null | undefined>),
    options?: DemuxHTTPOptions & MessageOptions,
  ): this {
    const where = this.#where('serveHTTP');
    known(options, where, ['maxHeadSize', 'maxHeaders', 'maxBodySize', 'bufferSize', 'maxPipelined']);
    if (!(handler instanceof Message) && typeof handler !== 'function') {
      throw new ConfigError('expected a Message or a function returning one', where);
    }
    const cfg = demuxConfig(options, where);
    const maxBody = cfg.limits.maxBodySize || 1 << 20;
    const sub = new PipelineLayout('serveHTTP');
    sub.filters.push(new ReplaceMessage(typeof handler === 'function' ? answerOrFail(handler) : handler, maxBody));
    const f = new ServeHTTP(cfg);
    f.subs = [sub];
    return this.#add(f, 'serveHTTP');
  }

  /** Pools requests onto upstream sessions picked by `key(ctx)` (default: the inbound connection). */
  muxHTTP(key?: ((ctx: Ctx<C>) => unknown) | MuxHTTPOptions, options?: MuxHTTPOptions): this {
    const where = this.#where('muxHTTP');
    if (key !== undefined && typeof key !== 'function') {
      options = key;
      key = undefined;
    }
    known(options, where, ['maxHeadSize', 'maxHeaders', 'maxBodySize', 'maxIdle', 'maxMessages', 'maxConnections', 'maxPending', 'bufferSize', 'version']);
    const o = options ?? {};
    if (o.version !== undefined && !['1.1', 1, 'HTTP/1.1'].includes(o.version as never)) {
      throw new ConfigError(`only HTTP/1.1 upstreams are supported (version: '1.1')`, `${where}: version`);
    }
    const pools = new Map<unknown, SessionPool>();
    const f = new MuxHTTP(
      Object.freeze({
        key: (key as ((ctx: any) => unknown) | undefined) ?? null,
        maxIdle: duration(o.maxIdle, `${where}: maxIdle`, 60_000),
        maxMessages: count(o.maxMessages, `${where}: maxMessages`, 0),
        maxConnections: count(o.maxConnections, `${where}: maxConnections`, 0),
        maxPending: count(o.maxPending, `${where}: maxPending`, 1000),
        limits: limits(o, where),
        bufferSize: size(o.bufferSize, `${where}: bufferSize`, 16384),
        retryBufferSize: 65536,
        pools,
      }),
    );
    return this.#add(f, 'muxHTTP');
  }

  // ---- observing ----

  handleStreamStart(cb: (evt: Event, ctx: Ctx<C>) => unknown): this {
    return this.#add(new HandleStreamStart(func(cb, this.#where('handleStreamStart'))), 'handleStreamStart');
  }
  handleMessageStart<H extends object = RequestHead & ResponseHead>(cb: (evt: MessageStart<H>, ctx: Ctx<C>) => unknown): this {
    return this.#add(new HandleMessageStart(func(cb, this.#where('handleMessageStart'))), 'handleMessageStart');
  }
  handleMessage<H extends object = RequestHead & ResponseHead>(cb: (msg: Message<H>, ctx: Ctx<C>) => unknown, options?: MessageOptions): this {
    const where = this.#where('handleMessage');
    known(options, where, ['maxBodySize']);
    return this.#add(new HandleMessage(func(cb, where), size(options?.maxBodySize, `${where}: maxBodySize`, 1 << 20)), 'handleMessage');
  }
  handleMessageEnd(cb: (evt: MessageEnd, ctx: Ctx<C>) => unknown): this {
    return this.#add(new HandleMessageEnd(func(cb, this.#where('handleMessageEnd'))), 'handleMessageEnd');
  }
  handleData(cb: (evt: Data, ctx: Ctx<C>) => unknown): this {
    return this.#add(new HandleData(func(cb, this.#where('handleData'))), 'handleData');
  }
  handleStreamEnd(cb: (evt: StreamEnd, ctx: Ctx<C>) => unknown): this {
    return this.#add(new HandleStreamEnd(func(cb, this.#where('handleStreamEnd'))), 'handleStreamEnd');
  }

  // ---- transforming ----

  replaceMessageStart<H extends object = RequestHead & ResponseHead>(r: ((evt: MessageStart<H>, ctx: Ctx<C>) => MaybeAsync<Output>) | Output): this {
    return this.#add(new ReplaceMessageStart(replacement(r, this.#where('replaceMessageStart'))), 'replaceMessageStart');
  }
  replaceMessage<H extends object = RequestHead & ResponseHead>(r: ((msg: Message<H>, ctx: Ctx<C>) => MaybeAsync<Output>) | Output, options?: MessageOptions): this {
    const where = this.#where('replaceMessage');
    known(options, where, ['maxBodySize']);
    return this.#add(new ReplaceMessage(replacement(r, where), size(options?.maxBodySize, `${where}: maxBodySize`, 1 << 20)), 'replaceMessage');
  }
  replaceMessageEnd(r: ((evt: MessageEnd, ctx: Ctx<C>) => MaybeAsync<Output>) | Output): this {
    return this.#add(new ReplaceMessageEnd(replacement(r, this.#where('replaceMessageEnd'))), 'replaceMessageEnd');
  }
  replaceData(r: ((evt: Data, ctx: Ctx<C>) => MaybeAsync<Output>) | Output): this {
    return this.#add(new ReplaceData(replacement(r, this.#where('replaceData'))), 'replaceData');
  }
  replaceStreamEnd(r: ((evt: StreamEnd, ctx: Ctx<C>) => MaybeAsync<Output>) | Output): this {
    return this.#add(new ReplaceStreamEnd(replacement(r, this.#where('replaceStreamEnd'))), 'replaceStreamEnd');
  }

  // ---- structure ----

  /**
   * `branch(cond1, $ => ..., cond2, $ => ..., $ => default)`: the first condition that holds
   * (evaluated at the stream's first event with the context) picks the sub-pipeline.
   * The overloads exist so that `ctx` and `$` in the arguments get their types inferred.
   */
  branch(c1: BranchCond<C>, s1: Sub<C>, otherwise?: Sub<C>): this;
  branch(c1: BranchCond<C>, s1: Sub<C>, c2: BranchCond<C>, s2: Sub<C>, otherwise?: Sub<C>): this;
  branch(c1: BranchCond<C>, s1: Sub<C>, c2: BranchCond<C>, s2: Sub<C>, c3: BranchCond<C>, s3: Sub<C>, otherwise?: Sub<C>): this;
  branch(c1: BranchCond<C>, s1: Sub<C>, c2: BranchCond<C>, s2: Sub<C>, c3: BranchCond<C>, s3: Sub<C>, c4: BranchCond<C>, s4: Sub<C>, otherwise?: Sub<C>): this;
  branch(...args: (BranchCond<C> | Sub<C>)[]): this;
  branch(...args: unknown[]): this {
    const where = this.#where('branch');
    const conds: BranchCondition[] = [];
    const subs: PipelineLayout[] = [];
    let i = 0;
    for (; i + 1 < args.length; i += 2) {
      const c = args[i];
      if (typeof c !== 'function' && typeof c !== 'boolean') throw new ConfigError(`argument ${i + 1} must be a condition (function or boolean)`, where);
      conds.push(c as BranchCondition);
      subs.push(Designer.build(args[i + 1] as Sub<C>, `${this.#layout.name}/branch`, where));
    }
    const fallback = i < args.length ? Designer.build(args[i] as Sub<C>, `${this.#layout.name}/branch`, where) : null;
    return this.#add(new Branch(conds, subs, fallback), 'branch');
  }

  /** Links to a layout, a plug-in chain (array), or a function choosing one at the first event. */
  pipe(target: Sub<C> | readonly PipelineLayout<any>[] | ((evt: Event, ctx: Ctx<C>) => PipelineLayout<any> | readonly PipelineLayout<any>[] | null | undefined)): this {
    const where = this.#where('pipe');
    let t: PipeTarget | PipeChooser;
    if (Array.isArray(target)) {
      for (const l of target) if (!(l instanceof PipelineLayout)) throw new ConfigError('a plug-in chain is an array of pipeline() layouts', where);
      t = target as readonly PipelineLayout[];
    } else if (target instanceof PipelineLayout) t = target;
    else if (typeof target === 'function') {
      // A function of one parameter is a builder ($ => $...); of two, a chooser (evt, ctx).
      t = target.length === 1 ? Designer.build(target as Sub<C>, `${this.#layout.name}/pipe`, where) : (target as PipeChooser);
    } else throw new ConfigError('expected a pipeline, an array of pipelines, or a function choosing one', where);
    return this.#add(new Pipe(t), 'pipe');
  }

  /** In a plug-in of a `pipe([...])` chain: continues with the next plug-in. */
  pipeNext(): this {
    return this.#add(new PipeNext(), 'pipeNext');
  }

  // ---- [section: HTTP codec filters, tunnels, detectProtocol] (owned by the HTTP-filters work) ----

  /**
   * Decodes HTTP/1.1 requests from the stream's bytes: Data in, MessageStart/Data/MessageEnd
   * out (MessageStart.length is the body length, -1 when chunked). Malformed input ends the
   * stream with ProtocolError ('400 bare LF', ...). Bytes after a CONNECT or Upgrade request
   * pass on as raw Data outside any message (this filter cannot see the response).
   */
  decodeHTTPRequest(options?: HTTPLimitsOptions): this {
    const where = this.#where('decodeHTTPRequest');
    known(options, where, ['maxHeadSize', 'maxHeaders', 'maxBodySize']);
    return this.#add(new DecodeHTTPRequest(Object.freeze({ limits: limits(options ?? {}, where) })), 'decodeHTTPRequest');
  }

  /**
   * Decodes HTTP/1.1 responses from the stream's bytes. It sees no requests, so each response
   * is read as answering GET unless `method(ctx)` says otherwise (it runs before each response;
   * 'HEAD' means no body, 'CONNECT' with a 2xx starts a tunnel). Malformed input: ProtocolError.
   */
  decodeHTTPResponse(options?: DecodeHTTPResponseOptions<Ctx<C>>): this {
    const where = this.#where('decodeHTTPResponse');
    known(options, where, ['maxHeadSize', 'maxHeaders', 'maxBodySize', 'method']);
    const method = options?.method === undefined ? null : func<(ctx: any) => string>(options.method, `${where}: method`);
    return this.#add(new DecodeHTTPResponse(Object.freeze({ limits: limits(options ?? {}, where), method })), 'decodeHTTPResponse');
  }

  /**
   * Encodes HTTP/1.1 requests into bytes. Framing follows MessageStart.length: a body of
   * unknown length is buffered up to `bufferSize` (default 16k) to send a content-length,
   * chunked beyond. A head the encoder refuses (CR/LF in a value, ...) ends with ProtocolError.
   */
  encodeHTTPRequest(options?: HTTPEncoderOptions): this {
    const where = this.#where('encodeHTTPRequest');
    known(options, where, ['bufferSize']);
    return this.#add(new EncodeHTTPRequest(Object.freeze({ bufferSize: size(options?.bufferSize, `${where}: bufferSize`, 16384) })), 'encodeHTTPRequest');
  }

  /**
   * Encodes HTTP/1.1 responses into bytes (framing as encodeHTTPRequest). It sees no requests:
   * every response is framed as answering GET, so use serveHTTP/demuxHTTP where HEAD matters.
   */
  encodeHTTPResponse(options?: HTTPEncoderOptions): this {
    const where = this.#where('encodeHTTPResponse');
    known(options, where, ['bufferSize']);
    return this.#add(new EncodeHTTPResponse(Object.freeze({ bufferSize: size(options?.bufferSize, `${where}: bufferSize`, 16384) })), 'encodeHTTPResponse');
  }

  /**
   * The server side of an HTTP tunnel: decodes one request from the connection's bytes and
   * answers it with `handler(request, ctx)` (a Message, or a promise of one). A 2xx to CONNECT
   * (or a 101 to Upgrade) opens the tunnel: the rest of the stream, both ways, runs through the
   * sub-pipeline as raw Data. Any other answer is written and the connection closes.
   *
   * `$.acceptHTTPTunnel(req => new Message({ status: 200 })).to($ => $.connect(ctx => ctx.target))`
   */
  acceptHTTPTunnel(
    handler: Message | ((req: Message<RequestHead>, ctx: Ctx<C>) => MaybeAsync<Message>),
    options?: HTTPLimitsOptions,
  ): this {
    const where = this.#where('acceptHTTPTunnel');
    known(options, where, ['maxHeadSize', 'maxHeaders', 'maxBodySize']);
    if (!(handler instanceof Message) && typeof handler !== 'function') throw new ConfigError('expected a Message or a function returning one', where);
    const l = limits(options ?? {}, where);
    return this.#add(new AcceptHTTPTunnel(Object.freeze({ handler, limits: l, maxBodySize: l.maxBodySize || 65536 })), 'acceptHTTPTunnel');
  }

  /**
   * The client side of an HTTP CONNECT tunnel: sends `CONNECT target HTTP/1.1` into the
   * sub-pipeline (`.to($ => $.connect('proxy:3128'))`), and once it answers 2xx relays the
   * stream's raw Data both ways. Input before that is held (up to `bufferLimit`, default 1m).
   * A refusal ends the stream: 407 Unauthorized, other statuses ConnectionRefused.
   */
  connectHTTPTunnel(target: string | ((ctx: Ctx<C>) => string), options?: ConnectHTTPTunnelOptions): this {
    const where = this.#where('connectHTTPTunnel');
    known(options, where, ['bufferLimit', 'maxHeadSize', 'maxHeaders']);
    let fixed: string | null = null;
    let resolve: ((ctx: any) => string) | null = null;
    if (typeof target === 'string') {
      const bad = checkAuthority(target);
      if (bad) throw new ConfigError(bad, where);
      fixed = target;
    } else resolve = func<(ctx: any) => string>(target, where);
    const o = options ?? {};
    const config = Object.freeze({
      target: fixed,
      resolve,
      bufferLimit: size(o.bufferLimit, `${where}: bufferLimit`, 1 << 20),
      limits: limits(o, where),
    });
    return this.#add(new ConnectHTTPTunnel(config), 'connectHTTPTunnel');
  }

  /**
   * Calls `callback(protocol, ctx)` once with 'HTTP', 'TLS' or '' (unknown) as soon as the
   * first bytes tell (at most 16 bytes: TLS at the 2nd byte, HTTP at the space after the
   * method). Events pass through unchanged; the few before the verdict wait for it, so a
   * following `branch` can route on what the callback stored in the context.
   */
  detectProtocol(callback: (protocol: DetectedProtocol, ctx: Ctx<C>) => unknown): this {
    return this.#add(new DetectProtocol(func(callback, this.#where('detectProtocol'))), 'detectProtocol');
  }

  // ---- [end section] ----

  // ---- [section: flow filters: fork, insert, wait, replay, throttle*, onStart, onEnd] (owned by the flow-filters work) ----

  /**
   * Feeds a copy of the stream to a sub-pipeline whose output is discarded (mirroring, side
   * logging); the stream passes on unchanged. `init` (a value, or `ctx => value` evaluated at
   * the first event) that is an array starts one fork per element. Each fork gets a shallow
   * copy of the context, with an object element's fields merged in.
   * `$.fork().to($ => $.muxHTTP().to($ => $.connect('mirror:8080')))`, or inline with a
   * `pipeline()` layout: `$.fork(mirror)`.
   */
  fork(init?: PipelineLayout<any> | ((ctx: Ctx<C>) => unknown) | object | string | number | boolean | null, initForInline?: ((ctx: Ctx<C>) => unknown) | object | string | number | boolean | null): this {
    // As in Pipy, a function here is `init`, never a builder: builders go in .to().
    if (init instanceof PipelineLayout) return this.#add(new Fork(initForInline, init), 'fork');
    if (initForInline !== undefined) throw new ConfigError('a second argument is only taken after an inline pipeline() layout', this.#where('fork'));
    return this.#add(new Fork(init, null), 'fork');
  }

  /**
   * At the stream's first event, outputs `events` (an event, Message, string, or an array of
   * them; or `ctx => events`) ahead of it. A promise is not waited for: its events are output
   * whenever it resolves (Pipy's meaning).
   */
  insert(events: Insertable | ((ctx: Ctx<C>) => MaybeAsync<Insertable>)): this {
    const where = this.#where('insert');
    if (events === undefined) throw new ConfigError('expected events, or a function returning them', where);
    return this.#add(new Insert(events), 'insert');
  }

  /**
   * Holds the stream's events until `condition(ctx)` is truthy (checked at each event and every
   * `interval` while holding, default 0.1 s; 0 checks only at events) or the promise it returns
   * is fulfilled. After `timeout` (default none) the events are let go anyway, as in Pipy.
   */
  wait(condition: (ctx: Ctx<C>) => unknown, options?: WaitOptions): this {
    const where = this.#where('wait');
    known(options, where, ['timeout', 'interval']);
    const o = options ?? {};
    return this.#add(
      new Wait(
        Object.freeze({
          condition: func<(ctx: any) => unknown>(condition, where),
          timeout: duration(o.timeout, `${where}: timeout`, 0),
          interval: duration(o.interval, `${where}: interval`, 100),
        }),
      ),
      'wait',
    );
  }

  /**
   * Runs the sub-pipeline given by `.to()` with a copy of the input; when it outputs
   * `new StreamEnd('Replay')` a fresh instance is fed the same input again after `delay`
   * (a duration, or `ctx => duration`; default 0). The sub-pipeline shares the context (count
   * attempts there). Past `maxBufferSize` (default 1m) of body the stream is not replayable.
   */
  replay(options?: ReplayOptions<Ctx<C>>): this {
    const where = this.#where('replay');
    known(options, where, ['delay', 'maxBufferSize']);
    const o = options ?? {};
    const fn = typeof o.delay === 'function' ? (o.delay as (ctx: any) => unknown) : null;
    return this.#add(
      new Replay(
        Object.freeze({
          delay: fn ? 0 : duration(o.delay, `${where}: delay`, 0),
          delayFn: fn,
          maxBufferSize: size(o.maxBufferSize, `${where}: maxBufferSize`, 1 << 20),
        }),
      ),
      'replay',
    );
  }

  /** Each message costs one token of `quota` (an algo.Quota, or `ctx => Quota`); without one it waits. */
  throttleMessageRate(quota: Quota | ((ctx: Ctx<C>) => Quota), options?: ThrottleOptions): this {
    const where = this.#where('throttleMessageRate');
    return this.#add(new ThrottleMessageRate(this.#throttleConfig(quota, options, where)), 'throttleMessageRate');
  }

  /** Each byte costs one token of `quota`; what is not paid for waits. */
  throttleDataRate(quota: Quota | ((ctx: Ctx<C>) => Quota), options?: ThrottleOptions): this {
    const where = this.#where('throttleDataRate');
    return this.#add(new ThrottleDataRate(this.#throttleConfig(quota, options, where)), 'throttleDataRate');
  }

  /**
   * At most as many streams at once as `quota` has tokens: a stream takes one at its first event
   * and gives it back when it ends. Use `new algo.Quota(n, { per: 1000, produce: 0 })`.
   */
  throttleConcurrency(quota: Quota | ((ctx: Ctx<C>) => Quota), options?: ThrottleOptions): this {
    const where = this.#where('throttleConcurrency');
    return this.#add(new ThrottleConcurrency(this.#throttleConfig(quota, options, where)), 'throttleConcurrency');
  }

  /**
   * The pipeline's starting events (an event, Message, array, or `ctx => events`, maybe a
   * promise), input ahead of everything else when it starts, even if no input comes (a server
   * that speaks first). Belongs to the pipeline as in Pipy: it runs first wherever it is written.
   */
  onStart(events: Insertable | ((ctx: Ctx<C>) => MaybeAsync<Insertable>)): this {
    const where = this.#where('onStart');
    if (events === undefined) throw new ConfigError('expected events, or a function returning them (return nothing for none)', where);
    const filters = this.#layout.filters;
    if (filters.some((f) => f instanceof OnStart)) throw new ConfigError('a pipeline has one onStart()', where);
    filters.unshift(new OnStart(events));
    return this;
  }

  /** Called once with the context when the pipeline ends (shuts down); for clean-up and logs. */
  onEnd(cb: (ctx: Ctx<C>) => unknown): this {
    return this.#add(new OnEnd(func(cb, this.#where('onEnd'))), 'onEnd');
  }

  #throttleConfig(quota: unknown, options: ThrottleOptions | undefined, where: string): ThrottleConfig {
    known(options, where, ['blockInput']);
    if (!(quota instanceof Quota) && typeof quota !== 'function') {
      throw new ConfigError('expected an algo.Quota, or a function returning one', where);
    }
    const b = options?.blockInput;
    if (b !== undefined && typeof b !== 'boolean') throw new ConfigError(`expected true or false, got ${JSON.stringify(b)}`, `${where}: blockInput`);
    return Object.freeze({ quota: quota as ThrottleConfig['quota'], blockInput: b ?? true });
  }

  // ---- [end section] ----

  dump(tag = ''): this {
    return this.#add(new Dump(String(tag)), 'dump');
  }

  /** Adds a filter built outside the designer (used by the extension filters' registration). */
  protected addFilter(f: Filter, name: string): this {
    return this.#add(f, name);
  }

  protected location(name: string): string {
    return this.#where(name);
  }
}

function limits(o: HTTPLimitsOptions, where: string): Readonly<Http1Limits> {
  return Object.freeze({
    maxHeadSize: size(o.maxHeadSize, `${where}: maxHeadSize`, DEFAULT_LIMITS.maxHeadSize),
    maxHeaders: count(o.maxHeaders, `${where}: maxHeaders`, DEFAULT_LIMITS.maxHeaders),
    maxBodySize: size(o.maxBodySize, `${where}: maxBodySize`, DEFAULT_LIMITS.maxBodySize),
  });
}

function demuxConfig(o: DemuxHTTPOptions | undefined, where: string) {
  o ??= {};
  return Object.freeze({
    limits: limits(o, where),
    bufferSize: size(o.bufferSize, `${where}: bufferSize`, 16384),
    maxPipelined: count(o.maxPipelined, `${where}: maxPipelined`, 32) || 1,
  });
}

function replacement(r: unknown, where: string): Replacement {
  if (r === undefined) throw new ConfigError('expected a replacement (a value, or a function returning one)', where);
  return r as Replacement;
}

/** serveHTTP: a handler that answers nothing would leave the client waiting forever. */
function answerOrFail(handler: (req: any, ctx: any) => unknown): (req: any, ctx: any) => unknown {
  const none = () => new StreamEndEvent('RuntimeError', 'serveHTTP handler returned no response');
  return (req, ctx) => {
    const r = handler(req, ctx);
    if (isPromise(r)) return r.then((v) => v ?? none());
    return r ?? none();
  };
}
