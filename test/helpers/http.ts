// Helpers for the HTTP integration tests: an in-process listener built from a designer
// function, a small HTTP/1.1 response reader over raw sockets, and polling waits.
// Everything binds 127.0.0.1 on port 0.

import net from 'node:net';
import { Designer } from '../../runtime/api/designer.ts';
import { Listener, parseListen } from '../../runtime/net/listener.ts';
import { startSluice, tempScript, type Running } from './sluice.ts';
import { setLogLevel } from '../../runtime/engine/log.ts';

setLogLevel(process.env.SLUICE_TEST_LOG === 'debug' ? 'debug' : 'warn');

export interface Served {
  port: number;
  listener: Listener;
  close(): Promise<void>;
}

/** Runs `build` as a listener pipeline in this process on 127.0.0.1:0. */
export async function serve<C extends object = any>(build: (d: Designer<C>) => unknown, opts: { idleTimeout?: number; context?: () => C } = {}): Promise<Served> {
  const layout = Designer.build<C>(build, 'test', 'test');
  if (opts.context) layout.contextFactory = opts.context;
  const l = new Listener(parseListen('127.0.0.1:0', { idleTimeout: opts.idleTimeout ?? 10_000 }), layout);
  await l.start();
  return { port: l.port, listener: l, close: () => l.drain(0) };
}

/** Runs a script with the real CLI; `PORT` in the source is replaced by 0 and the bound port read from the log. */
export async function serveScript(source: string, args: string[] = []): Promise<Running & { port: number }> {
  const path = tempScript(source);
  const r = await startSluice([path, ...args]);
  const m = /listening on \S+:(\d+)/.exec(r.log());
  if (!m) {
    await r.stop('SIGKILL');
    throw new Error(`no port in log:\n${r.log()}`);
  }
  return Object.assign(r, { port: Number(m[1]) });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 10 ms until it holds (or throws after `ms`). */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface ParsedResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Raw head text (for checks on exact header lines). */
  headText: string;
}

/**
 * Splits a byte stream into HTTP/1.1 responses. `methods` gives the method each answers (HEAD
 * and 1xx/204/304 have no body). A response without a length runs to the end of the input.
 * Returns what parsed and the bytes left over (an incomplete response).
 */
export function parseResponses(buf: Buffer, methods: string[] = []): { responses: ParsedResponse[]; rest: Buffer } {
  const out: ParsedResponse[] = [];
  let at = 0;
  let mi = 0;
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const headText = buf.subarray(at, end).toString('latin1');
    const lines = headText.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]!);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const k = l.slice(0, i).toLowerCase();
      const v = l.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : headers[k] + ', ' + v;
    }
    let p = end + 4;
    const interim = status < 200 && status !== 101;
    const method = interim ? '' : (methods[mi++] ?? 'GET');
    let body: Buffer = Buffer.alloc(0);
    if (interim || method === 'HEAD' || status === 204 || status === 304 || status === 101) {
      // no body
    } else if (headers['transfer-encoding']?.includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const le = buf.indexOf('\r\n', p);
        if (le < 0) return { responses: out, rest: buf.subarray(at) };
        const n = parseInt(buf.subarray(p, le).toString('latin1'), 16);
        p = le + 2;
        if (n === 0) {
          const te = buf.indexOf('\r\n\r\n', p - 2);
          if (te < 0) return { responses: out, rest: buf.subarray(at) };
          p = te + 4;
          break;
        }
        if (p + n + 2 > buf.length) return { responses: out, rest: buf.subarray(at) };
        parts.push(buf.subarray(p, p + n));
        p += n + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (p + n > buf.length) return { responses: out, rest: buf.subarray(at) };
      body = buf.subarray(p, p + n);
      p += n;
    } else {
      body = buf.subarray(p);
      p = buf.length;
    }
    out.push({ status, reason: m[2]!, headers, body, headText });
    at = p;
  }
  return { responses: out, rest: buf.subarray(at) };
}

/** A raw client connection with a read buffer and waits on what arrived. */
export class RawClient {
  readonly socket: net.Socket;
  received = Buffer.alloc(0);
  ended = false;
  closed = false;
  error: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (b) => (this.received = Buffer.concat([this.received, b])));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.closed = true));
    socket.on('error', (e) => (this.error = e));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(b: string | Buffer): void {
    this.socket.write(b);
  }

  /** Waits until `n` complete responses have arrived. */
  async responses(n: number, methods: string[] = [], ms = 5000): Promise<ParsedResponse[]> {
    let r: ParsedResponse[] = [];
    await until(() => (r = parseResponses(this.received, methods).responses).length >= n || this.closed, ms, `${n} responses`);
    r = parseResponses(this.received, methods).responses;
    if (r.length < n) throw new Error(`connection closed after ${r.length} of ${n} responses: ${this.received.toString('latin1').slice(0, 500)}`);
    return r;
  }

  /** Waits for the server to close (FIN or reset). */
  async waitClosed(ms = 5000): Promise<void> {
    await until(() => this.ended || this.closed, ms, 'the server to close');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A raw TCP server whose connection handler gets the socket (upstreams that misbehave on purpose). */
export async function rawServer(onConn: (s: net.Socket) => void): Promise<{ port: number; server: net.Server; sockets: Set<net.Socket>; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    sockets,
    accepted: () => accepted,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Reads one counter from the admin /metrics of a running Sluice. */
export async function metric(adminPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no metric ${name}`);
  return Number(m[1]);
}

/** RSS of a running Sluice, from /status. */
export async function rss(adminPort: number): Promise<number> {
  const s = (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as { memory: { rssBytes: number } };
  return s.memory.rssBytes;
}
