// The contract between the HTTP/1.1 codec and the filters that use it (demuxHTTP, muxHTTP,
// serveHTTP, decode/encodeHTTP*). The codec knows bytes and heads; it knows nothing of
// sockets, pipelines or filters.

import type { RequestHead, ResponseHead, RequestHeadInit, ResponseHeadInit } from './head.ts';

export interface Http1Limits {
  /** Largest request/status line plus headers, in bytes; over it: 431 (request) or error. */
  maxHeadSize: number;
  /** Most header lines in one head; over it: 431. */
  maxHeaders: number;
  /** Largest body accepted, in bytes; 0 = unlimited. Over it: 413. */
  maxBodySize: number;
}

export const DEFAULT_LIMITS: Readonly<Http1Limits> = Object.freeze({
  maxHeadSize: 16 * 1024,
  maxHeaders: 100,
  maxBodySize: 0,
});

/** What a decoder reports. Body chunks are views into the input buffers (no copy). */
export interface DecoderSink<H> {
  /**
   * A head was decoded. `length` is the body length when known from Content-Length, 0 when the
   * message has no body, -1 when it is chunked or read until close.
   */
  onHead(head: H, length: number): void;
  onBody(chunk: Buffer): void;
  /** The message is complete; trailers (lowercase names) if any were sent. */
  onEnd(trailers: Record<string, string> | null): void;
  /**
   * The input is malformed. `status` is what a server should answer (400, 413, 431, 501, 505);
   * after this the decoder ignores all input: the caller closes the connection.
   */
  onError(status: number, reason: string): void;
  /** Raw bytes after a successful Upgrade or CONNECT (see acceptTunnel / ResponseDecoder). */
  onTunnel(chunk: Buffer): void;
}

export interface RequestDecoder {
  /**
   * Feeds bytes. May call the sink any number of times, synchronously. The decoder keeps
   * views of `chunk` (body views, and heads keep the bytes they were decoded from): the
   * caller must not reuse or change it afterwards.
   */
  write(chunk: Buffer): void;
  /** The peer closed its sending side. A message cut short is reported with onError. */
  end(): void;
  /**
   * After a request that asked for Upgrade or CONNECT the decoder holds all further input
   * until the owner says whether the response accepted the tunnel (101, or 2xx to CONNECT):
   * true turns all held and later bytes into onTunnel; false resumes parsing requests.
   */
  acceptTunnel(accepted: boolean): void;
  /** True while the decoder is waiting for acceptTunnel. */
  readonly awaitingTunnel: boolean;
}

export interface ResponseDecoder {
  /**
   * Tells the decoder the method of the request the next response answers (FIFO), so that
   * HEAD responses carry no body and a 2xx to CONNECT or a 101 turns into a tunnel.
   */
  expect(method: string): void;
  /** As RequestDecoder.write: `chunk` is the decoder's from now on, never reused. */
  write(chunk: Buffer): void;
  /** EOF: ends a read-until-close body with onEnd; a cut-short message gives onError. */
  end(): void;
}

export interface EncoderOptions {
  /** Largest body buffered to compute Content-Length when the length is not known ahead. */
  bufferSize: number;
}

/**
 * Encoders produce bytes through `out`. They batch: a head and a small body known ahead are
 * emitted as one Buffer.
 */
export interface RequestEncoder {
  /** `length`: as MessageStart.length (-1 unknown: chunked). */
  start(head: RequestHead | RequestHeadInit, length: number): void;
  body(chunk: Buffer): void;
  end(trailers: Record<string, string> | null): void;
}

export interface ResponseEncoder {
  /**
   * `requestMethod` is the method of the request this answers (HEAD: no body; CONNECT with
   * 2xx, or 101: following body bytes are a raw tunnel). `keepAlive` false adds
   * `connection: close`.
   */
  start(head: ResponseHead | ResponseHeadInit, length: number, requestMethod: string, keepAlive: boolean): void;
  body(chunk: Buffer): void;
  end(trailers: Record<string, string> | null): void;
}
