// The HTTP side of the gateway: each HTTPRoute rule is compiled at load into a CompiledRule
// (guards from policies, filter steps, response modifiers, weighted backends), and one
// HttpGateway per port answers requests with them:
//
//   demuxHTTP --> replaceMessage(gateway.handle):
//      route (HostRouter) -> guards (IP, CORS preflight, auth, rate limit) -> filter steps
//      (header modifiers, rewrite, redirect, mirror, extension modules) -> pick backendRef ->
//      attempts (endpoint pick, upstream pipeline, outlier report, retry/back-off, timeouts)
//      -> response modifiers -> metrics + access log
//
// Nothing here reads configuration per request: every branch below was decided at load.

import { Data, Message, RequestHead, type ResponseHead } from '../api/index.ts';
import type { Endpoint } from '../modules/balancer.ts';
import { send, type Reply } from '../modules/upstream.ts';
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
export type ResponseStep = (x: Exchange, headers: Headers, res: Message) => void;

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
}

/** The state of one request while the gateway handles it. */
export class Exchange {
  readonly view: RequestView;
  readonly head: RequestHead;
  body: Data;
  tail: Record<string, string> | null;
  readonly ctx: { inbound?: { remoteAddress: string; remotePort: number } };
  readonly client: string;
  readonly origin: string | undefined;
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

  constructor(msg: Message<RequestHead>, ctx: Exchange['ctx'], client: string) {
    this.head = msg.head;
    this.view = new RequestView(msg.head);
    this.body = msg.body;
    this.tail = msg.tail;
    this.ctx = ctx;
    this.client = client;
    this.origin = msg.head.header('origin');
  }
}

export function reply(status: number, text: string, headers?: Headers): Message {
  return new Message({ status, headers: { 'content-type': 'text/plain', ...headers } }, text ? `${text}\n` : '');
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export interface HttpGatewayOptions {
  scheme: 'http' | 'https';
  port: number;
  tracing: boolean;
  metrics: GatewayMetrics;
  accessLog: AccessLog | null;
  /** For listeners behind a TLS front: the real client of a relayed connection (by its port). */
  relayedClient: ((remotePort: number) => string | undefined) | null;
}

export class HttpGateway {
  readonly router: HostRouter<CompiledRule>;
  readonly #o: HttpGatewayOptions;
  readonly #m: GatewayMetrics;

  constructor(router: HostRouter<CompiledRule>, o: HttpGatewayOptions) {
    this.router = router;
    this.#o = o;
    this.#m = o.metrics;
  }

  /** The replaceMessage callback: always resolves to a response. */
  handle(msg: Message<RequestHead>, ctx: Exchange['ctx']): Promise<Message> {
    const ib = ctx.inbound;
    const rc = this.#o.relayedClient;
    const client = (rc !== null && ib ? rc(ib.remotePort) : undefined) ?? ib?.remoteAddress ?? '';
    const x = new Exchange(msg, ctx, client);
    return this.#process(x).then(
      (res) => this.#finish(x, res),
      (err: Error) => {
        x.error = `RuntimeError: ${err?.message ?? String(err)}`;
        return this.#finish(x, reply(500, 'internal error'));
      },
    );
  }

  async #process(x: Exchange): Promise<Message> {
    const cand = this.router.match(x.view);
    if (cand === null) {
      x.error = 'no route';
      return reply(404, 'no route');
    }
    x.cand = cand;
    const rule = cand.rule;
    for (let i = 0; i < rule.guards.length; i++) {
      let r = rule.guards[i]!(x);
      if (r !== null && !(r instanceof Message)) r = await r;
      if (r) return r;
    }
    for (let i = 0; i < rule.steps.length; i++) {
      let r = rule.steps[i]!(x);
      if (r !== null && !(r instanceof Message)) r = await r;
      if (r) return r;
    }
    const ref = pickRef(rule);
    if (ref === null) {
      x.error = 'no backend';
      return reply(500, 'no backend');
    }
    if (ref.backend === null) {
      x.error = 'invalid backendRef';
      return reply(500, 'invalid backend');
    }
    const h = x.head.headers;
    for (const mod of ref.requestMods) mod(h);
    const xff = h['x-forwarded-for'];
    h['x-forwarded-for'] = xff ? `${xff}, ${x.client}` : x.client;
    h['x-forwarded-proto'] ??= this.#o.scheme;
    if (this.#o.tracing) {
      x.span = continueTrace(h.traceparent);
      h.traceparent = x.span.traceparent;
    }
    const res = await this.#forward(x, rule, ref.backend);
    const rh = res.head as { headers: Headers };
    for (const mod of ref.responseMods) mod(rh.headers);
    return res;
  }

  async #forward(x: Exchange, rule: CompiledRule, b: BackendRuntime): Promise<Message> {
    x.backend = b.key;
    const retry = rule.retry ?? b.retry;
    const attempts = retry !== null && (IDEMPOTENT.has(x.view.method) || retry.allowNonIdempotent) ? retry.attempts : 0;
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
      last = await send(b.layout, ep.target, x.head, x.body, x.tail, Math.ceil(timeout));
      ep.active--;
      b.active--;
      x.upstreamMs += last.elapsed;
      const status = last.response ? (last.response.head as ResponseHead).status : statusForError(last.error);
      this.#m.upstreamDuration.observe(last.elapsed / 1000, b.key);
      this.#m.upstreamRequests.increase(1, b.key, ep.target, last.response ? statusClass(status) : 'error');
      if (!last.response) this.#m.upstreamErrors.increase(1, b.key, ep.target, last.error);
      b.outlier?.report(ep, status >= 500);
      if (last.response && b.cookieName !== null && !b.hasSessionFor(x.view, ep)) x.pinned = { backend: b, endpoint: ep };
      if (i >= attempts || retry === null) break;
      const retryable = retry.codes.includes(status) || (!last.response && last.error !== 'ReadTimeout' && retry.onConnectFailure);
      if (!retryable) break;
      const backoff = Math.min(retry.backoff * 2 ** i, retry.backoff * 10);
      if (deadline > 0 && performance.now() + backoff >= deadline) break;
      if (backoff > 0) await sleep(backoff);
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

  #finish(x: Exchange, res: Message): Message {
    const head = res.head as ResponseHead;
    const h = head.headers;
    const rule = x.cand?.rule ?? null;
    if (rule) for (const step of rule.responseSteps) step(x, h, res);
    if (x.pinned) {
      const c = x.pinned.backend.sessionCookie(x.pinned.endpoint);
      h['set-cookie'] = h['set-cookie'] ? `${h['set-cookie']}\n${c}` : c;
    }
    const status = head.status ?? 200;
    const route = rule?.route ?? '';
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
        path: x.head.path,
        protocol: x.head.protocol,
        status,
        route: route || null,
        backend: x.backend || null,
        endpoint: x.endpoint || null,
        duration_ms: Math.round(secs * 1e6) / 1000,
        upstream_ms: Math.round(x.upstreamMs * 1000) / 1000,
        bytes_in: x.body.size,
        bytes_out: res.body.size,
        user_agent: x.head.header('user-agent') ?? null,
        trace_id: x.span?.traceId ?? null,
        span_id: x.span?.spanId ?? null,
        retries: x.retries,
        error: x.error || null,
      };
      log.write(r);
    }
    return res;
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
