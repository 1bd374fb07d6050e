// The shared body of encodeHTTPRequest and encodeHTTPResponse: one message at a time through
// a codec encoder; Data outside a message (tunnel bytes) and StreamEnd pass through; a head
// the encoder refuses ends the stream with ProtocolError.

import { Data, Kind, StreamEnd, type Event, type MessageStart } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';

export interface HTTPEncoderConfig {
  /** Largest body of unknown length buffered to send it with a content-length. */
  readonly bufferSize: number;
}

interface BodyEncoder {
  body(chunk: Buffer): void;
  end(trailers: Record<string, string> | null): void;
}

export abstract class EncodeHTTP extends Filter {
  readonly config: HTTPEncoderConfig;
  #inMessage = false;
  #dead = false;

  constructor(config: HTTPEncoderConfig) {
    super();
    this.config = config;
  }

  /** Starts one message on the (lazily created) encoder and returns it. */
  protected abstract start(evt: MessageStart): BodyEncoder;
  protected abstract get encoder(): BodyEncoder | null;

  protected readonly emit = (buf: Buffer): void => {
    this.output.input(Data.of(buf));
  };

  input(evt: Event): void {
    if (this.#dead) return;
    try {
      switch (evt.kind) {
        case Kind.MessageStart:
          if (this.#inMessage) return; // one message at a time; a second head is meaningless
          this.#inMessage = true;
          this.start(evt);
          return;
        case Kind.Data:
          if (!this.#inMessage) {
            this.output.input(evt);
            return;
          }
          for (const c of evt.chunks) this.encoder!.body(c);
          return;
        case Kind.MessageEnd:
          if (!this.#inMessage) return;
          this.#inMessage = false;
          this.encoder!.end(evt.tail);
          return;
        case Kind.StreamEnd:
          this.#dead = true;
          this.output.input(evt);
          return;
      }
    } catch (err) {
      this.#dead = true;
      this.output.input(new StreamEnd('ProtocolError', `${this.describe()}: ${(err as Error).message}`));
    }
  }
}
