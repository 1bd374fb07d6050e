// `decodeHTTPResponse({ method? })`: bytes in, HTTP/1.1 responses out.
//
// A response's framing depends on the request it answers (RFC 9112 §6.3: no body after HEAD;
// a 2xx to CONNECT starts a tunnel), and this filter sees no requests. Each response is read
// as answering `method(ctx)` when that option is given (evaluated before each response, e.g.
// from a context field a handleMessageStart on the request side set), else as answering GET.
// Bytes after a 101 (or a 2xx to CONNECT) leave as raw Data outside any message.

import { Data, Kind, MessageEnd, MessageStart, StreamEnd, type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import type { ResponseHead } from '../codecs/http1/head.ts';
import type { DecoderSink, Http1Limits, ResponseDecoder } from '../codecs/http1/types.ts';
import { createResponseDecoder } from '../codecs/http1/decoder.ts';
import { counters } from '../admin/counters.ts';

/** Script-facing options (limits as demuxHTTP's). */
export interface DecodeHTTPResponseOptions<Ctx = any> {
  maxHeadSize?: number | string;
  maxHeaders?: number;
  maxBodySize?: number | string;
  /** The method of the request each response answers (default GET), asked before each one. */
  method?: (ctx: Ctx) => string;
}

export interface DecodeHTTPResponseConfig {
  readonly limits: Readonly<Http1Limits>;
  /** The method of the request each response answers; null: GET. */
  readonly method: ((ctx: any) => string) | null;
}

export class DecodeHTTPResponse extends Filter implements DecoderSink<ResponseHead> {
  readonly config: DecodeHTTPResponseConfig;
  #decoder: ResponseDecoder | null = null;
  #dead = false;
  #interim = false;

  constructor(config: DecodeHTTPResponseConfig) {
    super();
    this.config = config;
  }

  clone(): DecodeHTTPResponse {
    return new DecodeHTTPResponse(this.config);
  }

  describe(): string {
    return 'decodeHTTPResponse';
  }

  input(evt: Event): void {
    if (this.#dead) return;
    if (evt.kind === Kind.Data) {
      let d = this.#decoder;
      if (d === null) {
        d = this.#decoder = createResponseDecoder(this, this.config.limits);
        if (!this.#expectNext()) return;
      }
      const chunks = evt.chunks;
      for (let i = 0; i < chunks.length && !this.#dead; i++) d.write(chunks[i]!);
    } else if (evt.kind === Kind.StreamEnd) {
      // EOF ends a read-until-close body (onEnd) or reports a cut-short one (onError).
      if (!evt.error) this.#decoder?.end();
      if (this.#dead) return;
      this.#dead = true;
      this.output.input(evt);
    }
  }

  /** Tells the decoder what the next response answers; false if the callback threw. */
  #expectNext(): boolean {
    const f = this.config.method;
    if (f === null) {
      this.#decoder!.expect('GET');
      return true;
    }
    let m: string;
    try {
      m = String(f(this.context) || 'GET');
    } catch (err) {
      counters.scriptErrors++;
      this.#dead = true;
      this.scriptError(err);
      return false;
    }
    this.#decoder!.expect(m);
    return true;
  }

  onHead(head: ResponseHead, length: number): void {
    this.#interim = head.status < 200 && head.status !== 101;
    this.output.input(new MessageStart(head, length));
  }

  onBody(chunk: Buffer): void {
    this.output.input(Data.of(chunk));
  }

  onEnd(trailers: Record<string, string> | null): void {
    this.output.input(new MessageEnd(trailers));
    // Only a final response consumes a method: a 1xx is followed by the final one.
    if (!this.#interim && !this.#dead) this.#expectNext();
  }

  onError(status: number, reason: string): void {
    if (this.#dead) return;
    this.#dead = true;
    this.output.input(new StreamEnd('ProtocolError', `${status} ${reason}`));
  }

  onTunnel(chunk: Buffer): void {
    this.output.input(Data.of(chunk));
  }
}
