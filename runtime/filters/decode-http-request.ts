// `decodeHTTPRequest()`: bytes in, HTTP/1.1 requests out (MessageStart, Data, MessageEnd).
//
//   Data --> RequestDecoder --> MessageStart{head, length} / Data (body views) / MessageEnd{trailers}
//
// Unlike demuxHTTP this sees no responses, so a request that asks for a tunnel (CONNECT, or
// Upgrade) cannot wait for the verdict: the bytes after such a request leave as raw Data
// outside any message (a client may not send anything else before it learns the outcome,
// RFC 9110 §7.8, §9.3.6). Malformed input ends the stream with ProtocolError('<status> <reason>').

import type { RequestHead } from '../codecs/http1/head.ts';
import type { Http1Limits, RequestDecoder } from '../codecs/http1/types.ts';
import { createRequestDecoder } from '../codecs/http1/decoder.ts';
import { DecodeHTTP } from './http-decode-filter.ts';

export interface HTTPDecoderConfig {
  readonly limits: Readonly<Http1Limits>;
}

export class DecodeHTTPRequest extends DecodeHTTP<RequestHead, RequestDecoder> {
  readonly config: HTTPDecoderConfig;

  constructor(config: HTTPDecoderConfig) {
    super();
    this.config = config;
  }

  clone(): DecodeHTTPRequest {
    return new DecodeHTTPRequest(this.config);
  }

  describe(): string {
    return 'decodeHTTPRequest';
  }

  protected createDecoder(): RequestDecoder {
    return createRequestDecoder(this, this.config.limits);
  }

  override onEnd(trailers: Record<string, string> | null): void {
    // The decoder already holds input for a tunnel verdict we cannot know: let it through.
    if (this.decoder?.awaitingTunnel) this.decoder.acceptTunnel(true);
    super.onEnd(trailers);
  }
}
