// `encodeHTTPResponse({ bufferSize })`: HTTP responses in, bytes out.
//
// Framing comes from MessageStart.length (see encodeHTTPRequest). This filter sees no
// requests, so every response is framed as answering GET (a response to HEAD would get its
// body written): put it behind demuxHTTP/serveHTTP when the request matters. A head with
// `connection: close` keeps it. A head the encoder refuses ends the stream with ProtocolError.
// Data outside a message (tunnel bytes after a 101) passes through as is.

import { Data, Kind, StreamEnd, type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import type { ResponseHead, ResponseHeadInit } from '../codecs/http1/head.ts';
import type { ResponseEncoder } from '../codecs/http1/types.ts';
import { createResponseEncoder } from '../codecs/http1/encoder.ts';
import { wantsKeepAlive } from '../codecs/http1/decoder.ts';
import type { HTTPEncoderConfig } from './encode-http-request.ts';

export class EncodeHTTPResponse extends Filter {
  readonly config: HTTPEncoderConfig;
  #encoder: ResponseEncoder | null = null;
  #inMessage = false;
  #dead = false;

  constructor(config: HTTPEncoderConfig) {
    super();
    this.config = config;
  }

  clone(): EncodeHTTPResponse {
    return new EncodeHTTPResponse(this.config);
  }

  describe(): string {
    return 'encodeHTTPResponse';
  }

  #emit = (buf: Buffer): void => {
    this.output.input(Data.of(buf));
  };

  input(evt: Event): void {
    if (this.#dead) return;
    try {
      switch (evt.kind) {
        case Kind.MessageStart: {
          if (this.#inMessage) return;
          this.#inMessage = true;
          const head = evt.head as ResponseHead | ResponseHeadInit;
          const keepAlive = wantsKeepAlive(head as ResponseHead);
          (this.#encoder ??= createResponseEncoder(this.#emit, this.config)).start(head, evt.length, 'GET', keepAlive);
          return;
        }
        case Kind.Data:
          if (!this.#inMessage) {
            this.output.input(evt);
            return;
          }
          for (const c of evt.chunks) this.#encoder!.body(c);
          return;
        case Kind.MessageEnd:
          if (!this.#inMessage) return;
          this.#inMessage = false;
          this.#encoder!.end(evt.tail);
          return;
        case Kind.StreamEnd:
          this.#dead = true;
          this.output.input(evt);
          return;
      }
    } catch (err) {
      this.#dead = true;
      this.output.input(new StreamEnd('ProtocolError', `encodeHTTPResponse: ${(err as Error).message}`));
    }
  }
}
