// The HTTP side of the gateway: each HTTPRoute rule is compiled at load into a CompiledRule
// (guards from policies, filter steps, response modifiers, weighted backends), and one
// HttpGateway per port answers requests with them.
//
//   demuxHTTP --> handleMessageStart(onRequest) --> pipe(the layout onRequest chose):
//
//   head phase   route (HostRouter) -> guards (IP, CORS preflight, auth, rate limit) -> filter
//                steps (header modifiers, rewrite, redirect) -> backendRef -> endpoint
//   answer       replaceMessage: 404, redirects, denials, 5xx decided in the head phase
//   stream       muxHTTP(endpoint) -> connect; the response streams back
//   retrying     replay -> [muxHTTP -> connect -> Replay on a retryable outcome]; streams too
//   buffered     replaceMessage(buffered): mirrors, extension modules, timeouts; attempts are
//                whole messages through the backend's upstream pipeline (modules/upstream.ts)
//
// Then response filters, metrics and the access log. Nothing here reads configuration per
// request: every branch below was decided at load.

import { pipeline, Data, Message, RequestHead, StreamEnd, type MessageStart, type PipelineLayout, type ResponseHead } from '../api/index.ts';
import type { Endpoint } from '../modules/balancer.ts';
import { send, type Reply } from '../modules/upstream.ts';
import { attemptsFor, backoffDelay, shouldRetry } from '../modules/retry.ts';
import { continueTrace, type Span } from '../modules/tracing.ts';
import type { AccessLog, LogRecord } from '../modules/access-log.ts';
import type { BackendRuntime } from './backends.ts';
import type { RetrySpec } from './config.ts';
import { statusClass, type GatewayMetrics } from './metrics.ts';
import { HostRouter, RequestView, type Candidate } from './router.ts';

export type Headers = Record<string, string>;

/** A request-phase step: null continues, a Message answers the request. */
export type Step = (x: Exchange) => Message | null | Promise<Message | null>;
/** A response-phase step: edits the response headers in place. */
export type ResponseStep = (x: Exchange, headers: Headers, res: Message | null) => void;

export interface CompiledRef {
  /** null: the reference names no Backend; requests sent its way get 500 (spec). */
  backend: BackendRuntime | null;
  weight: number;
  requestMods: ((h: Headers) => void)[];
  responseMods: ((h: Headers) => void)[];
}

export interface CompiledRule {
  route: string;
  guards: Step[];
  steps: Step[];
  responseSteps: ResponseStep[];
  refs: CompiledRef[];
  totalWeight: number;
  requestTimeout: number;
  backendRequestTimeout: number;
  retry: RetrySpec | null;
  /** Steps that need the request body (extension modules): the rule runs on the buffered path. */
  bodySteps: boolean;
  /** Retries, timeouts or a mirror: the request is kept whole to be sent (again). */
  buffered: boolean;
}

/** The state of one request while the gateway handles it. */
export class Exchange {
  readonly view: RequestView;
  readonly head: RequestHead;
  /** The request body and tail: known on the buffered path only. */
  body: Data | null = null;
  tail: Record<string, string> | null = null;
  readonly ctx: GatewayCtx;
  readonly client: string;
  readonly origin: string | undefined;
  /** WebSocket or CONNECT: always streamed (a tunnel cannot be buffered, retried or mirrored). */
  readonly upgrade: boolean;
  readonly t0 = performance.now();
  cand: Candidate<CompiledRule> | null = null;
  span: Span | null = null;
  backend = '';
  endpoint = '';
  retries = 0;
  upstreamMs = 0;
  error = '';
  /** An endpoint to pin with a session cookie on the response. */
  pinned: { backend: BackendRuntime; endpoint: Endpoint } | null = null;

  ref: CompiledRef | null = null;
  /** The streaming path's endpoint (its in-flight count is held until the stream ends). */
  ep: Endpoint | null = null;
  sentAt = 0;
  status = 0;
  /** Streaming retries: the policy, how many extra attempts, the next back-off (ms). */
  retry: RetrySpec | null = null;
  attempts = 0;
  backoff = 0;
  bytesOut: number | null = null;
  bytesIn = 0;
  /** What the head phase decided: an answer, or the layout the request goes on with. */
  answer: Message | null = null;
  layout: PipelineLayout<GatewayCtx> | null = null;

  constructor(head: RequestHead, ctx: GatewayCtx, client: string) {
    this.head = head;
    this.view = new RequestView(head);
    this.ctx = ctx;
    this.client = client;
    this.origin = head.header('origin');
    this.upgrade = head.method === 'CONNECT' || head.header('upgrade') !== undefined;
  }
}

export function reply(status: number, text: string, headers?: Headers): Message {
  return new Message({ status, headers: { 'content-type': 'text/plain', ...headers } }, text ? `${text}\n` : '');
}

const EMPTY = new Data();
const REPLAY = new StreamEnd('Replay');

export interface HttpGatewayOptions {
  scheme: 'http' | 'https';
  port: number;
  tracing: boolean;
  metrics: GatewayMetrics;
  accessLog: AccessLog | null;
  maxBodyBytes: number;
  /** Count body bytes on the streaming path (the access log has bytes_in / bytes_out). */
  countIn: boolean;
  countOut: boolean;
  /** For listeners behind a TLS front: the real client of a relayed connection (by its port). */
  relayedClient: ((remotePort: number) => string | undefined) | null;
}

/** The per-request context of a gateway listener (demuxHTTP copies it for each request). */
export interface GatewayCtx {
  inbound?: { remoteAddress: string; remotePort: number };
  x: Exchange | null;
}

export class HttpGateway {
  readonly router: HostRouter<CompiledRule>;
  readonly #o: HttpGatewayOptions;
  readonly #m: GatewayMetrics;
  /** Answers decided in the head phase (404, redirects, denials): the request body is dropped. */
  readonly answerLayout: PipelineLayout<GatewayCtx>;
  /** Requests that need their body (retries, timeouts, mirrors, extension modules). */
  readonly bufferedLayout: PipelineLayout<GatewayCtx>;
  readonly #streams = new Map<BackendRuntime, PipelineLayout<GatewayCtx>>();
  readonly #retrying = new Map<BackendRuntime, PipelineLayout<GatewayCtx>>();

  constructor(router: HostRouter<CompiledRule>, o: HttpGatewayOptions, backends: Iterable<BackendRuntime>) {
    this.router = router;
    this.#o = o;
    this.#m = o.metrics;
    for (const b of backends) {
      this.#streams.set(b, this.streamLayout(b));
      this.#retrying.set(b, this.retryLayout(b));
    }
    this.answerLayout = pipeline<GatewayCtx>(($) => $.replaceMessage((_msg, ctx) => this.#finish(ctx.x!, ctx.x!.answer!), { maxBodySize: o.maxBodyBytes }));
    this.bufferedLayout = pipeline<GatewayCtx>(($) => $.replaceMessage((msg, ctx) => this.buffered(msg as Message<RequestHead>, ctx), { maxBodySize: o.maxBodyBytes }));
  }

  /**
   * The streaming layout of a backend: the request body flows to the endpoint as it arrives
   * and the response flows back (muxHTTP pools connections per endpoint).
   */
  streamLayout(b: BackendRuntime): PipelineLayout<GatewayCtx> {
    const { countIn, countOut } = this.#o;
    return pipeline<GatewayCtx>(($) => {
      // Byte counters only when the access log asks for them (decided here, not per request).
      if (countIn) $.handleData((evt, ctx) => void (ctx.x!.bytesIn += evt.size));
      $.muxHTTP((ctx) => ctx.x!.endpoint, b.poolOptions)
        .to(($) => $.connect((ctx) => ctx.x!.endpoint, b.connectOptions))
        .handleMessageStart((evt, ctx) => this.#streamResponse(evt.head as unknown as ResponseHead, ctx.x!));
      if (countOut) $.handleData((evt, ctx) => void (ctx.x!.bytesOut = (ctx.x!.bytesOut ?? 0) + evt.size));
      $.replaceStreamEnd((evt, ctx) => this.#streamEnd(evt, ctx.x!)).onEnd((ctx) => this.#streamDone(ctx.x!));
    });
  }

  /** The streaming layout with retries: replay keeps the request for another attempt. */
  retryLayout(b: BackendRuntime): PipelineLayout<GatewayCtx> {
    const { countOut, maxBodyBytes } = this.#o;
    return pipeline<GatewayCtx>(($) => {
      $.replay({ delay: (ctx) => `${ctx.x!.backoff}ms`, maxBufferSize: maxBodyBytes }).to(($) =>
        $.handleMessageStart((_evt, ctx) => void (ctx.x!.sentAt = performance.now()))
          .muxHTTP((ctx) => ctx.x!.endpoint, b.poolOptions)
          .to(($) => $.connect((ctx) => ctx.x!.endpoint, b.connectOptions))
          .replaceMessageStart((evt, ctx) => this.#attemptResponse(evt, ctx.x!))
          .replaceStreamEnd((evt, ctx) => this.#attemptEnd(evt, ctx.x!)),
      );
      if (countOut) $.handleData((evt, ctx) => void (ctx.x!.bytesOut = (ctx.x!.bytesOut ?? 0) + evt.size));
      $.onEnd((ctx) => this.#streamDone(ctx.x!));
    });
  }

  /**
   * The head phase (handleMessageStart): routing, policies, header filters and the endpoint
   * choice happen here, synchronously; the layout the request continues on is left in ctx.x.
   */
  onRequest(head: RequestHead, ctx: GatewayCtx): void {
    const ib = ctx.inbound;
    const rc = this.#o.relayedClient;
    const client = (rc !== null && ib ? rc(ib.remotePort) : undefined) ?? ib?.remoteAddress ?? '';
    const x = new Exchange(head, ctx, client);
    ctx.x = x;
    try {
      const r = this.#head(x);
      if (r !== null) {
        x.answer = r;
        x.layout = this.answerLayout;
      }
    } catch (err) {
      x.error = `RuntimeError: ${(err as Error)?.message ?? String(err)}`;
      x.answer = reply(500, 'internal error');
      x.layout = this.answerLayout;
    }
  }

  #head(x: Exchange): Message | null {
    const cand = this.router.match(x.view);
    if (cand === null) {
      x.error = 'no route';
      return reply(404, 'no route');
    }
    x.cand = cand;
    const rule = cand.rule;
    for (let i = 0; i < rule.guards.length; i++) {
      const r = rule.guards[i]!(x) as Message | null;
      if (r) return r;
    }
    if (rule.bodySteps && !x.upgrade) {
      // Extension modules see the whole request: the rest happens once the body is in.
      x.layout = this.bufferedLayout;
      return null;
    }
    if (x.upgrade) x.body = EMPTY;
    for (let i = 0; i < rule.steps.length; i++) {
      const r = rule.steps[i]!(x);
      if (r instanceof Promise) {
        // An upgrade (WebSocket, CONNECT) has no body to wait for and streams at once.
        x.error = 'an asynchronous extension module cannot handle an upgrade request';
        return reply(500, 'internal error');
      }
      if (r) return r;
    }
    return this.#toBackend(x, rule);
  }

  /** Picks the backendRef, applies its filters and the forwarding headers, chooses the path. */
  #toBackend(x: Exchange, rule: CompiledRule): Message | null {
    const ref = pickRef(rule);
    if (ref === null) {
      x.error = 'no backend';
      return reply(500, 'no backend');
    }
    x.ref = ref;
    const b = ref.backend;
    if (b === null) {
      x.error = 'invalid backendRef';
      return reply(500, 'invalid backend');
    }
    x.backend = b.key;
    const h = x.head.headers;
    for (const mod of ref.requestMods) mod(h);
    const xff = h['x-forwarded-for'];
    h['x-forwarded-for'] = xff ? `${xff}, ${x.client}` : x.client;
    h['x-forwarded-proto'] ??= this.#o.scheme;
    if (this.#o.tracing) {
      x.span = continueTrace(h.traceparent);
      h.traceparent = x.span.traceparent;
    }
    if ((rule.buffered || b.buffered) && !x.upgrade) {
      x.layout = this.bufferedLayout;
      return null;
    }
    // Streaming: one attempt, decided now.
    if (b.maxRequests > 0 && b.active >= b.maxRequests) {
      x.error = 'circuit breaker: too many requests';
      return reply(503, 'backend overloaded', { 'x-sluice-overflow': 'max-requests' });
    }
    const ep = b.pick(x.view, x.client, null);
    if (ep === null) {
      x.error = 'no healthy endpoint';
      return reply(503, 'no healthy endpoint');
    }
    x.endpoint = ep.target;
    x.ep = ep;
    ep.active++;
    b.active++;
    x.sentAt = performance.now();
    const retry = rule.retry ?? b.retry;
    const attempts = x.upgrade ? 0 : attemptsFor(retry, x.view.method);
    if (attempts > 0) {
      x.retry = retry;
      x.attempts = attempts;
      x.layout = this.#retrying.get(b)!;
    } else x.layout = this.#streams.get(b)!;
    return null;
  }

  /** Records one attempt's outcome at its endpoint: metrics and passive health. */
  #observe(x: Exchange, status: number, error: string): void {
    const b = x.ref!.backend!;
    const ep = x.ep!;
    const ms = performance.now() - x.sentAt;
    x.upstreamMs += ms;
    this.#m.upstreamDuration.observe(ms / 1000, b.key);
    this.#m.upstreamRequests.increase(1, b.key, ep.target, error ? 'error' : statusClass(status));
    if (error) this.#m.upstreamErrors.increase(1, b.key, ep.target, error);
    b.outlier?.report(ep, status >= 500);
  }

  #streamResponse(head: ResponseHead, x: Exchange): void {
    // Interim responses (100 Continue) are followed by the real one (RFC 9110 §15.2).
    if (x.status !== 0 || (head.status < 200 && head.status !== 101)) return;
    this.#observe(x, head.status, '');
    this.#final(head, x);
  }

  /** The response the client gets: status, session cookie, response filters. */
  #final(head: ResponseHead, x: Exchange): void {
    x.status = head.status;
    const b = x.ref!.backend!;
    const ep = x.ep!;
    if (b.cookieName !== null && !b.hasSessionFor(x.view, ep)) x.pinned = { backend: b, endpoint: ep };
    const h = head.headers;
    for (const mod of x.ref!.responseMods) mod(h);
    this.#respond(x, h, null);
  }

  /** A stream that failed before its response: answered like the buffered path would. */
  #streamEnd(evt: StreamEnd, x: Exchange): StreamEnd | Message {
    if (!evt.error) return evt;
    if (x.status !== 0) {
      // Cut off mid-response: the client sees the connection reset, the log says why.
      x.error = evt.error;
      return evt;
    }
    this.#observe(x, statusForError(evt.error), evt.error);
    return this.#failed(x, evt.error);
  }

  #failed(x: Exchange, error: string): Message {
    x.error = error;
    const res = reply(statusForError(error), error === 'ReadTimeout' ? 'upstream timeout' : 'upstream unavailable');
    x.status = (res.head as ResponseHead).status;
    this.#respond(x, (res.head as ResponseHead).headers, res);
    return res;
  }

  // ---- retries while streaming (replay): the request is kept for replays, the response of
  // the last attempt streams to the client; an attempt is retried only before its response
  // starts to flow, as Envoy does.

  #attemptResponse(evt: MessageStart, x: Exchange): MessageStart | StreamEnd {
    const head = evt.head as ResponseHead;
    if (x.status !== 0 || (head.status < 200 && head.status !== 101)) return evt;
    this.#observe(x, head.status, '');
    if (this.#retryNext(x, head.status, '')) return REPLAY;
    this.#final(head, x);
    return evt;
  }

  #attemptEnd(evt: StreamEnd, x: Exchange): StreamEnd | Message {
    if (!evt.error || evt.error === 'Replay') return evt;
    if (x.status !== 0) {
      x.error = evt.error;
      return evt;
    }
    const status = statusForError(evt.error);
    this.#observe(x, status, evt.error);
    if (this.#retryNext(x, status, evt.error)) return REPLAY;
    return this.#failed(x, evt.error);
  }

  /** Decides on another attempt; if so, moves the exchange to its endpoint. */
  #retryNext(x: Exchange, status: number, error: string): boolean {
    const retry = x.retry!;
    if (x.retries >= x.attempts || !shouldRetry(retry, status, error)) return false;
    const b = x.ref!.backend!;
    const prev = x.ep!;
    const next = b.pick(x.view, x.client, prev);
    if (next === null) return false;
    prev.active--;
    next.active++;
    x.ep = next;
    x.endpoint = next.target;
    x.backoff = backoffDelay(retry, x.retries);
    x.retries++;
    this.#m.retries.increase(1, x.cand!.rule.route, b.key);
    return true;
  }

  #streamDone(x: Exchange): void {
    const ep = x.ep;
    if (ep !== null) {
      x.ep = null;
      ep.active--;
      x.ref!.backend!.active--;
    }
    this.#record(x, x.status || 499);
  }

  /** The buffered path (replaceMessage): always resolves to a response. */
  buffered(msg: Message<RequestHead>, ctx: GatewayCtx): Promise<Message> {
    const x = ctx.x!;
    x.body = msg.body;
    x.tail = msg.tail;
    return this.#bufferedProcess(x).then(
      (res) => this.#finish(x, res),
      (err: Error) => {
        x.error = `RuntimeError: ${err?.message ?? String(err)}`;
        return this.#finish(x, reply(500, 'internal error'));
      },
    );
  }

  async #bufferedProcess(x: Exchange): Promise<Message> {
    const rule = x.cand!.rule;
    if (x.ref === null) {
      // Came here before the filter steps (an extension module needs the body).
      for (let i = 0; i < rule.steps.length; i++) {
        let r = rule.steps[i]!(x);
        if (r !== null && !(r instanceof Message)) r = await r;
        if (r) return r;
      }
      const r = this.#toBackend(x, rule);
      if (r) return r;
    }
    const ref = x.ref!;
    const res = await this.#forward(x, rule, ref.backend!);
    const rh = res.head as { headers: Headers };
    for (const mod of ref.responseMods) mod(rh.headers);
    return res;
  }

  async #forward(x: Exchange, rule: CompiledRule, b: BackendRuntime): Promise<Message> {
    const retry = rule.retry ?? b.retry;
    const attempts = attemptsFor(retry, x.view.method);
    const deadline = rule.requestTimeout > 0 ? x.t0 + rule.requestTimeout : 0;
    const perTry = rule.backendRequestTimeout || b.backendRequestTimeout;
    let avoid: Endpoint | null = null;
    let last: Reply | null = null;
    for (let i = 0; ; i++) {
      if (b.maxRequests > 0 && b.active >= b.maxRequests) {
        x.error = 'circuit breaker: too many requests';
        return reply(503, 'backend overloaded', { 'x-sluice-overflow': 'max-requests' });
      }
      const ep = b.pick(x.view, x.client, avoid);
      if (ep === null) {
        x.error = 'no healthy endpoint';
        return reply(503, 'no healthy endpoint');
      }
      let timeout = perTry;
      if (deadline > 0) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        timeout = timeout > 0 ? Math.min(timeout, left) : left;
      }
      x.endpoint = ep.target;
      ep.active++;
      b.active++;
      last = await send(b.layout, ep.target, x.head, x.body!, x.tail, Math.ceil(timeout));
      ep.active--;
      b.active--;
      x.upstreamMs += last.elapsed;
      const status = last.response ? (last.response.head as ResponseHead).status : statusForError(last.error);
      this.#m.upstreamDuration.observe(last.elapsed / 1000, b.key);
      this.#m.upstreamRequests.increase(1, b.key, ep.target, last.response ? statusClass(status) : 'error');
      if (!last.response) this.#m.upstreamErrors.increase(1, b.key, ep.target, last.error);
      b.outlier?.report(ep, status >= 500);
      if (last.response && b.cookieName !== null && !b.hasSessionFor(x.view, ep)) x.pinned = { backend: b, endpoint: ep };
      if (i >= attempts || !shouldRetry(retry!, status, last.error)) break;
      const wait = backoffDelay(retry!, i);
      if (deadline > 0 && performance.now() + wait >= deadline) break;
      if (wait > 0) await sleep(wait);
      x.retries++;
      this.#m.retries.increase(1, rule.route, b.key);
      avoid = ep;
    }
    if (last?.response) return last.response;
    if (last === null || last.error === 'ReadTimeout') {
      x.error = 'upstream timeout';
      return reply(504, 'upstream timeout');
    }
    x.error = last.error;
    return reply(statusForError(last.error), 'upstream unavailable');
  }

  /** Response-phase steps common to both paths: rule response filters, session cookie. */
  #respond(x: Exchange, h: Headers, res: Message | null): void {
    const rule = x.cand?.rule ?? null;
    if (rule) for (const step of rule.responseSteps) step(x, h, res);
    if (x.pinned) {
      const c = x.pinned.backend.sessionCookie(x.pinned.endpoint);
      h['set-cookie'] = h['set-cookie'] ? `${h['set-cookie']}\n${c}` : c;
    }
  }

  #finish(x: Exchange, res: Message): Message {
    const head = res.head as ResponseHead;
    this.#respond(x, head.headers, res);
    x.bytesOut = res.body.size;
    this.#record(x, head.status ?? 200);
    return res;
  }

  /** Metrics and the access log line. */
  #record(x: Exchange, status: number): void {
    const route = x.cand?.rule.route ?? '';
    const secs = (performance.now() - x.t0) / 1000;
    this.#m.requests.increase(1, route, x.backend, statusClass(status));
    this.#m.duration.observe(secs, route);
    const log = this.#o.accessLog;
    if (log) {
      const r: LogRecord = {
        time: new Date().toISOString(),
        client: x.client,
        method: x.view.method,
        host: x.view.host,
        path: x.view.path + (x.view.query !== null ? `?${x.view.query}` : ''),
        protocol: x.head.protocol,
        status,
        route: route || null,
        backend: x.backend || null,
        endpoint: x.endpoint || null,
        duration_ms: Math.round(secs * 1e6) / 1000,
        upstream_ms: Math.round(x.upstreamMs * 1000) / 1000,
        bytes_in: x.body !== null ? x.body.size : x.bytesIn,
        bytes_out: x.bytesOut,
        user_agent: x.head.header('user-agent') ?? null,
        trace_id: x.span?.traceId ?? null,
        span_id: x.span?.spanId ?? null,
        retries: x.retries,
        error: x.error || null,
      };
      log.write(r);
    }
  }
}

function pickRef(rule: CompiledRule): CompiledRef | null {
  const refs = rule.refs;
  if (refs.length === 0 || rule.totalWeight === 0) return null;
  if (refs.length === 1) return refs[0]!;
  let r = Math.random() * rule.totalWeight;
  for (let i = 0; i < refs.length; i++) {
    r -= refs[i]!.weight;
    if (r < 0) return refs[i]!;
  }
  return refs[refs.length - 1]!;
}

function statusForError(code: string): number {
  switch (code) {
    case 'ReadTimeout': case 'ConnectionTimeout': case 'IdleTimeout': case 'WriteTimeout': return 504;
    case 'ConnectionRefused': case 'CannotResolve': case 'BufferOverflow': return 503;
    default: return 502;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A copy of a request head (for mirroring: the original goes on to be changed). */
export function cloneHead(h: RequestHead): RequestHead {
  return new RequestHead(h.method, h.path, h.protocol, null, { ...h.headers });
}
