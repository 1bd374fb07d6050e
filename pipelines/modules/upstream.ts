// Sends one whole request through an upstream pipeline and resolves with the whole response
// (Pipy's `pipeline.spawn()`): the building block for retries, timeouts and mirroring, which
// need to try again or give up without the client's connection seeing a half-sent exchange.
//
//   request Message --> [muxHTTP(key) --> connect(target)] --> Collector --> Promise<Reply>
//
// The pipeline is instantiated per attempt with its own context ({key, target}); muxHTTP pools
// upstream connections by key, so attempts and requests still share keep-alive connections.

import { pipeline, Data, Kind, Message, MessageEnd, MessageStart, type Event, type PipelineLayout, type RequestHead, type ResponseHead } from '../api/index.ts';

export interface UpstreamOptions {
  /** Milliseconds to establish a connection. */
  connectTimeout: number;
  /** Milliseconds an idle pooled connection is kept. */
  idleTimeout: number;
  /** Most connections per endpoint (0 = no limit) and requests waiting for one. */
  maxConnections: number;
  maxPending: number;
}

export interface UpstreamContext {
  /** The pool key and the address: `host:port`. */
  target: string;
}

/** What one attempt ended with: a response, or a StreamEnd code (ConnectionRefused, ...). */
export interface Reply {
  response: Message<ResponseHead> | null;
  error: string;
  /** Milliseconds from sending to the end of the response (or the failure). */
  elapsed: number;
}

/** Builds the pipeline layout an upstream is reached through (once, at load). */
export function upstreamLayout(o: UpstreamOptions): PipelineLayout<UpstreamContext> {
  return pipeline<UpstreamContext>(($) =>
    $.muxHTTP((ctx) => ctx.target, { maxIdle: `${o.idleTimeout}ms`, maxConnections: o.maxConnections, maxPending: o.maxPending }).to(($) =>
      $.connect((ctx) => ctx.target, { connectTimeout: `${o.connectTimeout}ms`, idleTimeout: `${o.idleTimeout}ms` }),
    ),
  );
}

class Collector {
  readonly #resolve: (r: Reply) => void;
  readonly #t0 = performance.now();
  #head: ResponseHead | null = null;
  #body: Data | null = null;
  #done = false;
  #timer: NodeJS.Timeout | null = null;
  pipeline: { shutdown(): void } | null = null;

  constructor(resolve: (r: Reply) => void, timeoutMs: number) {
    this.#resolve = resolve;
    if (timeoutMs > 0) this.#timer = setTimeout(() => this.#finish(null, 'ReadTimeout'), timeoutMs);
  }

  input(evt: Event): void {
    if (this.#done) return;
    switch (evt.kind) {
      case Kind.MessageStart: {
        const h = evt.head as ResponseHead;
        // 1xx interim responses are followed by the real one (RFC 9110 §15.2).
        if (h.status >= 100 && h.status < 200 && h.status !== 101) return;
        this.#head = h;
        this.#body = new Data();
        return;
      }
      case Kind.Data:
        this.#body?.push(evt);
        return;
      case Kind.MessageEnd:
        if (this.#head) this.#finish(new Message(this.#head, this.#body, evt.tail), '');
        return;
      case Kind.StreamEnd:
        this.#finish(null, evt.error || 'ConnectionReset');
        return;
    }
  }

  #finish(response: Message<ResponseHead> | null, error: string): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    // Shutting down after a complete response returns the connection to the pool; mid-way
    // (a timeout) it closes it, so a late response cannot reach the next request.
    const p = this.pipeline;
    this.pipeline = null;
    queueMicrotask(() => p?.shutdown());
    this.#resolve({ response, error, elapsed: performance.now() - this.#t0 });
  }
}

/** Sends `req` (head, body, tail) to `target` through `layout`; never rejects. */
export function send(layout: PipelineLayout<UpstreamContext>, target: string, head: RequestHead, body: Data, tail: Record<string, string> | null, timeoutMs: number): Promise<Reply> {
  return new Promise<Reply>((resolve) => {
    const c = new Collector(resolve, timeoutMs);
    const p = layout.instantiate({ target }, c);
    c.pipeline = p;
    p.input(new MessageStart(head, body.size));
    if (body.size > 0) p.input(new Data(body));
    p.input(new MessageEnd(tail));
  });
}
