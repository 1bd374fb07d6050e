// `encodeHTTPRequest({ bufferSize })`: HTTP requests (MessageStart, Data, MessageEnd) in, bytes out.
//
// Framing comes from MessageStart.length (a known length: content-length; -1: the body is
// buffered up to bufferSize to compute one, chunked beyond it), never from a header a script
// may have left stale. A head the encoder refuses (CR/LF in a value, a bad name or method)
// ends the stream with ProtocolError. Data outside a message (tunnel bytes after CONNECT or a
// 101) passes through as is; StreamEnd passes through.

import type { MessageStart } from '../engine/event.ts';
import type { RequestHead, RequestHeadInit } from '../codecs/http1/head.ts';
import type { RequestEncoder } from '../codecs/http1/types.ts';
import { createRequestEncoder } from '../codecs/http1/encoder.ts';
import { EncodeHTTP } from './http-encode-filter.ts';

export type { HTTPEncoderConfig } from './http-encode-filter.ts';

export interface HTTPEncoderOptions {
  /** Body bytes of unknown length buffered to send a content-length (default 16k). */
  bufferSize?: number | string;
}

export class EncodeHTTPRequest extends EncodeHTTP {
  #encoder: RequestEncoder | null = null;

  clone(): EncodeHTTPRequest {
    return new EncodeHTTPRequest(this.config);
  }

  describe(): string {
    return 'encodeHTTPRequest';
  }

  protected get encoder(): RequestEncoder | null {
    return this.#encoder;
  }

  protected start(evt: MessageStart): RequestEncoder {
    const enc = (this.#encoder ??= createRequestEncoder(this.emit, this.config));
    enc.start(evt.head as RequestHead | RequestHeadInit, evt.length);
    return enc;
  }
}
