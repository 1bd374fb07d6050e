import { StreamEnd, type StreamEndCode } from './event.ts';

/** Base of every error Sluice raises. Match on `code`, not on the class. */
export class SluiceError extends Error {
  readonly code: string;
  readonly detail?: string;
  constructor(code: string, message: string, detail?: string) {
    super(message);
    this.name = 'SluiceError';
    this.code = code;
    this.detail = detail;
  }
}

/** An error that ends a stream: its code is one of the StreamEnd codes. */
export class StreamError extends SluiceError {
  declare readonly code: StreamEndCode;
  constructor(code: StreamEndCode, message: string, detail?: string) {
    super(code, message, detail);
    this.name = 'StreamError';
  }
}

export class ProtocolError extends StreamError {
  constructor(message: string, detail?: string) {
    super('ProtocolError', message, detail);
    this.name = 'ProtocolError';
  }
}

/**
 * A script or configuration was rejected at load time. `path` is where in the input
 * (a JSON-path-like string, or file:line for scripts).
 */
export class ConfigError extends SluiceError {
  readonly path: string;
  constructor(message: string, path = '', detail?: string) {
    super('ConfigInvalid', path ? `${path}: ${message}` : message, detail);
    this.name = 'ConfigError';
    this.path = path;
  }
}

export function toStreamEnd(err: unknown): StreamEnd {
  if (err instanceof StreamError) return new StreamEnd(err.code, err.message);
  return new StreamEnd('RuntimeError', err instanceof Error ? err.message : String(err));
}

export function errorOf(end: StreamEnd): StreamError | null {
  return end.error ? new StreamError(end.error, end.message || end.error) : null;
}
