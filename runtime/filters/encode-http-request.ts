// `encodeHTTPRequest({ bufferSize })`: HTTP requests (MessageStart, Data, MessageEnd) in, bytes out.
//
// Framing comes from MessageStart.length (a known length: content-length; -1: the body is
// buffered up to bufferSize to compute one, chunked beyond it), never from a header a script
// may have left stale. A head the encoder refuses (CR/LF in a value, a bad name or method)
// ends the stream with ProtocolError. Data outside a message (tunnel bytes after CONNECT or a
// 101) passes through as is; StreamEnd passes through.

import { Data, Kind, StreamEnd, type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import type { RequestHead, RequestHeadInit } from '../codecs/http1/head.ts';
import type { RequestEncoder } from '../codecs/http1/types.ts';
import { createRequestEncoder } from '../codecs/http1/encoder.ts';

export interface HTTPEncoderOptions {
  /** Body bytes of unknown length buffered to send a content-length (default 16k). */
  bufferSize?: number | string;
}

export interface HTTPEncoderConfig {
  /** Largest body of unknown length buffered to send it with a content-length. */
  readonly bufferSize: number;
}

export class EncodeHTTPRequest extends Filter {
  readonly config: HTTPEncoderConfig;
  #encoder: RequestEncoder | null = null;
  #inMessage = false;
  #dead = false;

  constructor(config: HTTPEncoderConfig) {
    super();
    this.config = config;
  }

  clone(): EncodeHTTPRequest {
    return new EncodeHTTPRequest(this.config);
  }

  describe(): string {
    return 'encodeHTTPRequest';
  }

  #emit = (buf: Buffer): void => {
    this.output.input(Data.of(buf));
  };

  input(evt: Event): void {
    if (this.#dead) return;
    try {
      switch (evt.kind) {
        case Kind.MessageStart:
          if (this.#inMessage) return; // one message at a time; a second head is meaningless
          this.#inMessage = true;
          (this.#encoder ??= createRequestEncoder(this.#emit, this.config)).start(evt.head as RequestHead | RequestHeadInit, evt.length);
          return;
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
      this.output.input(new StreamEnd('ProtocolError', `encodeHTTPRequest: ${(err as Error).message}`));
    }
  }
}
