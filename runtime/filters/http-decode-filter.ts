// The shared body of decodeHTTPRequest and decodeHTTPResponse: Data is fed to a codec decoder
// whose callbacks become events; malformed input ends the stream with
// ProtocolError('<status> <reason>'); tunnel bytes leave as raw Data outside any message.

import { Data, Kind, MessageEnd, MessageStart, StreamEnd, type Event } from '../engine/event.ts';
import { Filter } from '../engine/filter.ts';
import type { DecoderSink } from '../codecs/http1/types.ts';

interface ByteDecoder {
  write(chunk: Buffer): void;
  end(): void;
}

export abstract class DecodeHTTP<H extends object, D extends ByteDecoder> extends Filter implements DecoderSink<H> {
  protected decoder: D | null = null;
  protected dead = false;

  /** Creates the decoder at the first bytes; null if the stream must end instead. */
  protected abstract createDecoder(): D | null;

  input(evt: Event): void {
    if (this.dead) return;
    if (evt.kind === Kind.Data) {
      const d = this.decoder ?? (this.decoder = this.createDecoder());
      if (d === null) return;
      const chunks = evt.chunks;
      for (let i = 0; i < chunks.length && !this.dead; i++) d.write(chunks[i]!);
    } else if (evt.kind === Kind.StreamEnd) {
      // EOF ends a read-until-close body (onEnd) or reports a message cut short (onError)
      // before this StreamEnd goes on.
      if (!evt.error) this.decoder?.end();
      if (this.dead) return;
      this.dead = true;
      this.output.input(evt);
    }
    // MessageStart/MessageEnd carry no bytes to decode.
  }

  onHead(head: H, length: number): void {
    this.output.input(new MessageStart(head, length));
  }

  onBody(chunk: Buffer): void {
    this.output.input(Data.of(chunk));
  }

  onEnd(trailers: Record<string, string> | null): void {
    this.output.input(new MessageEnd(trailers));
  }

  onError(status: number, reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.output.input(new StreamEnd('ProtocolError', `${status} ${reason}`));
  }

  onTunnel(chunk: Buffer): void {
    this.output.input(Data.of(chunk));
  }
}
