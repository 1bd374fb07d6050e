// `decodeHTTPResponse({ method? })`: bytes in, HTTP/1.1 responses out.
//
// A response's framing depends on the request it answers (RFC 9112 §6.3: no body after HEAD;
// a 2xx to CONNECT starts a tunnel), and this filter sees no requests. Each response is read
// as answering `method(ctx)` when that option is given (evaluated before each response, e.g.
// from a context field a handleMessageStart on the request side set), else as answering GET.
// Bytes after a 101 (or a 2xx to CONNECT) leave as raw Data outside any message.

import type { ResponseHead } from '../codecs/http1/head.ts';
import type { Http1Limits, ResponseDecoder } from '../codecs/http1/types.ts';
import { createResponseDecoder } from '../codecs/http1/decoder.ts';
import { counters } from '../admin/counters.ts';
import { DecodeHTTP } from './http-decode-filter.ts';

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

export class DecodeHTTPResponse extends DecodeHTTP<ResponseHead, ResponseDecoder> {
  readonly config: DecodeHTTPResponseConfig;
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

  protected createDecoder(): ResponseDecoder | null {
    const d = createResponseDecoder(this, this.config.limits);
    return this.#expect(d) ? d : null;
  }

  /** Tells the decoder what the next response answers; false if the callback threw. */
  #expect(d: ResponseDecoder): boolean {
    const f = this.config.method;
    if (f === null) {
      d.expect('GET');
      return true;
    }
    let m: string;
    try {
      m = String(f(this.context) || 'GET');
    } catch (err) {
      counters.scriptErrors++;
      this.dead = true;
      this.scriptError(err);
      return false;
    }
    d.expect(m);
    return true;
  }

  override onHead(head: ResponseHead, length: number): void {
    this.#interim = head.status < 200 && head.status !== 101;
    super.onHead(head, length);
  }

  override onEnd(trailers: Record<string, string> | null): void {
    super.onEnd(trailers);
    // Only a final response consumes a method: a 1xx is followed by the final one.
    if (!this.#interim && !this.dead && this.decoder) this.#expect(this.decoder);
  }
}
