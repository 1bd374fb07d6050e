// `decodeHTTPRequest()`: bytes in, HTTP/1.1 requests out (MessageStart, Data, MessageEnd).
//
//   Data --> RequestDecoder --> MessageStart{head, length} / Data (body views) / MessageEnd{trailers}
//
// Unlike demuxHTTP this sees no responses, so a request that asks for a tunnel (CONNECT, or
// Upgrade) cannot wait for the verdict: the bytes after such a request leave as raw Data
// outside any message (a client may not send anything else before it learns the outcome,
// RFC 9110 §7.8, §9.3.6). Malformed input ends the stream with ProtocolError('<status> <reason>').

import { Data, Kind, MessageEnd, MessageStart, StreamEnd, type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import type { RequestHead } from '../codecs/http1/head.ts';
import type { DecoderSink, Http1Limits, RequestDecoder } from '../codecs/http1/types.ts';
import { createRequestDecoder } from '../codecs/http1/decoder.ts';

export interface HTTPDecoderConfig {
  readonly limits: Readonly<Http1Limits>;
}

export class DecodeHTTPRequest extends Filter implements DecoderSink<RequestHead> {
  readonly config: HTTPDecoderConfig;
  #decoder: RequestDecoder | null = null;
  #dead = false;

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

  input(evt: Event): void {
    if (this.#dead) return;
    if (evt.kind === Kind.Data) {
      const d = (this.#decoder ??= createRequestDecoder(this, this.config.limits));
      const chunks = evt.chunks;
      for (let i = 0; i < chunks.length && !this.#dead; i++) d.write(chunks[i]!);
    } else if (evt.kind === Kind.StreamEnd) {
      // A message cut short reports onError (ProtocolError) before this StreamEnd.
      if (!evt.error) this.#decoder?.end();
      if (this.#dead) return;
      this.#dead = true;
      this.output.input(evt);
    }
    // MessageStart/MessageEnd carry no bytes to decode.
  }

  onHead(head: RequestHead, length: number): void {
    this.output.input(new MessageStart(head, length));
  }

  onBody(chunk: Buffer): void {
    this.output.input(Data.of(chunk));
  }

  onEnd(trailers: Record<string, string> | null): void {
    // The decoder already holds input for a tunnel verdict we cannot know: let it through.
    if (this.#decoder?.awaitingTunnel) this.#decoder.acceptTunnel(true);
    this.output.input(new MessageEnd(trailers));
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
