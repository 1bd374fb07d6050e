// `encodeHTTPResponse({ bufferSize })`: HTTP responses in, bytes out.
//
// Framing comes from MessageStart.length (see encodeHTTPRequest). This filter sees no
// requests, so every response is framed as answering GET (a response to HEAD would get its
// body written): put it behind demuxHTTP/serveHTTP when the request matters. A head with
// `connection: close` keeps it. A head the encoder refuses ends the stream with ProtocolError.
// Data outside a message (tunnel bytes after a 101) passes through as is.

import type { MessageStart } from '../engine/event.ts';
import type { ResponseHead, ResponseHeadInit } from '../codecs/http1/head.ts';
import type { ResponseEncoder } from '../codecs/http1/types.ts';
import { createResponseEncoder } from '../codecs/http1/encoder.ts';
import { wantsKeepAlive } from '../codecs/http1/decoder.ts';
import { EncodeHTTP } from './http-encode-filter.ts';

export class EncodeHTTPResponse extends EncodeHTTP {
  #encoder: ResponseEncoder | null = null;

  clone(): EncodeHTTPResponse {
    return new EncodeHTTPResponse(this.config);
  }

  describe(): string {
    return 'encodeHTTPResponse';
  }

  protected get encoder(): ResponseEncoder | null {
    return this.#encoder;
  }

  protected start(evt: MessageStart): ResponseEncoder {
    const head = evt.head as ResponseHead | ResponseHeadInit;
    const enc = (this.#encoder ??= createResponseEncoder(this.emit, this.config));
    enc.start(head, evt.length, 'GET', wantsKeepAlive(head as ResponseHead));
    return enc;
  }
}
