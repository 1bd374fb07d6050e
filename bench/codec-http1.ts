// Micro benchmark of the HTTP/1.1 codec: ns per message for the proxy's hot path.
//
//   node dist-codec/bench/codec-http1.js [count]
//
// decode: wrk's request, one write() per request (as one socket read each), and 16
//         pipelined per write.
// encode: a small response (head + 13-byte body, known length) from a decoded head with raw
//         lines (pass-through) and from a script's plain object.
// proxy:  what a proxy's codec does per exchange: decode a request + encode it upstream
//         (wrk's GET and a browser's), decode the upstream's response + encode it to the
//         client (nginx's answer to the bench, `return 200 "hello\n"`), and both together.
//
// BENCH_ONLY=<substring> runs only the cases whose name contains it.

import { createRequestDecoder, createResponseDecoder } from '../runtime/codecs/http1/decoder.ts';
import { createRequestEncoder, createResponseEncoder } from '../runtime/codecs/http1/encoder.ts';
import type { RequestHead, ResponseHead } from '../runtime/codecs/http1/head.ts';
import type { DecoderSink } from '../runtime/codecs/http1/types.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);

/**
 * CPU time, not wall time: the bench machine is shared, and a descheduled process would
 * otherwise count other people's work. Best of RUNS runs (BENCH_RUNS, default 5).
 */
const ONLY = process.env['BENCH_ONLY'];

function bench(name: string, n: number, fn: (n: number) => void): number {
  if (ONLY && !name.includes(ONLY) && !name.startsWith('llhttp')) return 0;
  fn(Math.min(n, 50_000)); // warm up
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    fn(n);
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / n);
  }
  console.log(`${name.padEnd(44)} ${best.toFixed(1).padStart(7)} ns/msg`);
  return best;
}

class CountingSink<H> implements DecoderSink<H> {
  heads = 0;
  ends = 0;
  bytes = 0;
  last: H | null = null;
  onHead(head: H): void {
    this.heads++;
    this.last = head;
  }
  onBody(chunk: Buffer): void {
    this.bytes += chunk.length;
  }
  onEnd(): void {
    this.ends++;
  }
  onError(status: number, reason: string): void {
    throw new Error(`${status} ${reason}`);
  }
  onTunnel(): void {}
}

const REQ = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n', 'latin1');
// Distinct buffers, as a socket delivers: the decoder must not profit from one hot buffer.
const REQS = Array.from({ length: 1024 }, () => Buffer.from(REQ));
const PIPE16 = Buffer.concat(Array.from({ length: 16 }, () => REQ));
const BROWSER = Buffer.from(
  'GET /api/items?page=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\n' +
    'Accept: text/html,application/xhtml+xml\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n' +
    'Connection: keep-alive\r\nCookie: session=abcdef0123456789; theme=dark\r\nCache-Control: no-cache\r\n\r\n',
  'latin1',
);
const RES = Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world!', 'latin1');
const BODY = Buffer.from('Hello, world!');
const NGINX = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Sun, 22 Nov 2026 05:00:00 GMT\r\nContent-Type: text/plain\r\n' +
    'Content-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n',
  'latin1',
);
const NGINXS = Array.from({ length: 1024 }, () => Buffer.from(NGINX));
const BROWSERS = Array.from({ length: 1024 }, () => Buffer.from(BROWSER));

// Yardstick: node's own llhttp binding on the same request, same machine, same run.
type LlParser = { execute(b: Buffer): unknown; initialize(t: number, r: object, maxHeaderSize: number, lenient: number): void; [k: number]: unknown };
const binding = (process as unknown as { binding(n: string): { HTTPParser: { new (): LlParser; REQUEST: number; kOnHeadersComplete: number; kOnMessageComplete: number; kOnExecute: number; kOnBody: number } } }).binding;
let llhttp = 0;
try {
  process.noDeprecation = true;
  const { HTTPParser } = binding('http_parser');
  llhttp = bench('llhttp (node:http parser binding), GET', N, (n) => {
    const p = new HTTPParser();
    let heads = 0;
    p[HTTPParser.kOnHeadersComplete] = () => {
      heads++;
    };
    p[HTTPParser.kOnMessageComplete] = () => {};
    p[HTTPParser.kOnExecute] = () => {};
    p[HTTPParser.kOnBody] = () => {};
    p.initialize(HTTPParser.REQUEST, {}, 0, 0);
    for (let i = 0; i < n; i++) p.execute(REQS[i & 1023]!);
  });
} catch {
  // not available: no yardstick
}

const ours = bench('decode GET (1 per write)', N, (n) => {
  const sink = new CountingSink<RequestHead>();
  const dec = createRequestDecoder(sink);
  for (let i = 0; i < n; i++) dec.write(REQS[i & 1023]!);
  if (sink.ends !== n) throw new Error('lost messages');
});

if (llhttp) console.log(`${'  = llhttp ×'.padEnd(44)} ${(ours / llhttp).toFixed(2).padStart(7)}`);

bench('decode GET (16 pipelined per write)', N, (n) => {
  const sink = new CountingSink<RequestHead>();
  const dec = createRequestDecoder(sink);
  for (let i = 0; i < n; i += 16) dec.write(PIPE16);
});

bench('decode browser GET, 9 headers', N, (n) => {
  const sink = new CountingSink<RequestHead>();
  const dec = createRequestDecoder(sink);
  for (let i = 0; i < n; i++) dec.write(BROWSER);
});

bench('decode response, 4 headers + 13-byte body', N, (n) => {
  const sink = new CountingSink<ResponseHead>();
  const dec = createResponseDecoder(sink);
  for (let i = 0; i < n; i++) {
    dec.expect('GET');
    dec.write(RES);
  }
});

// A decoded upstream response head, raw lines intact: the pass-through case.
const resSink = new CountingSink<ResponseHead>();
const resDec = createResponseDecoder(resSink);
resDec.write(RES);
const decodedRes = resSink.last!;

bench('encode response (decoded raw head + body)', N, (n) => {
  let bytes = 0;
  const enc = createResponseEncoder((b) => (bytes += b.length));
  for (let i = 0; i < n; i++) {
    enc.start(decodedRes, 13, 'GET', true);
    enc.body(BODY);
    enc.end(null);
  }
});

const scriptHead = { status: 200, headers: { 'content-type': 'text/plain', server: 'sluice' } };
bench('encode response (plain object head + body)', N, (n) => {
  let bytes = 0;
  const enc = createResponseEncoder((b) => (bytes += b.length));
  for (let i = 0; i < n; i++) {
    enc.start(scriptHead, 13, 'GET', true);
    enc.body(BODY);
    enc.end(null);
  }
});

/** A decoder's sink handing each message on to an encoder; `start` begins each one. */
function relay<H>(start: (head: H, length: number) => void, enc: { body(c: Buffer): void; end(t: Record<string, string> | null): void }): DecoderSink<H> {
  return {
    onHead: start,
    onBody: (c) => enc.body(c),
    onEnd: (t) => enc.end(t),
    onError(s, r) {
      throw new Error(`${s} ${r}`);
    },
    onTunnel() {},
  };
}

/**
 * A request decoder feeding a request encoder, as demuxHTTP -> muxHTTP do; `look` stands for a
 * script's hook reading the head in between.
 */
function requestHop(out: (b: Buffer) => void, look?: (head: RequestHead) => void): (chunk: Buffer) => void {
  const enc = createRequestEncoder(out);
  const dec = createRequestDecoder(
    relay<RequestHead>((head, length) => {
      look?.(head);
      enc.start(head, length);
    }, enc),
  );
  return (chunk) => dec.write(chunk);
}

/** A response decoder feeding a response encoder, as muxHTTP -> demuxHTTP do. */
function responseHop(out: (b: Buffer) => void): { write(chunk: Buffer): void; expect(method: string): void } {
  const enc = createResponseEncoder(out);
  const dec = createResponseDecoder(relay<ResponseHead>((head, length) => enc.start(head, length, 'GET', true), enc));
  return { write: (chunk) => dec.write(chunk), expect: (m) => dec.expect(m) };
}

let sent = 0;
const count = (b: Buffer): void => {
  sent += b.length;
};

bench('proxy: decode GET + re-encode upstream', N, (n) => {
  const hop = requestHop(count);
  for (let i = 0; i < n; i++) hop(REQS[i & 1023]!);
});

bench('proxy: browser GET + re-encode upstream', N, (n) => {
  const hop = requestHop(count);
  for (let i = 0; i < n; i++) hop(BROWSERS[i & 1023]!);
});

bench('proxy: nginx response + re-encode to client', N, (n) => {
  const hop = responseHop(count);
  for (let i = 0; i < n; i++) {
    hop.expect('GET');
    hop.write(NGINXS[i & 1023]!);
  }
});

bench('proxy: whole exchange (GET + nginx response)', N, (n) => {
  const req = requestHop(count);
  const res = responseHop(count);
  for (let i = 0; i < n; i++) {
    req(REQS[i & 1023]!);
    res.expect('GET');
    res.write(NGINXS[i & 1023]!);
  }
});

// Scripts that look: a head read by name, and one materialised, then passed on.
bench('proxy: GET, script reads header(), re-encode', N, (n) => {
  const hop = requestHop(count, (head) => {
    if (head.header('x-none') !== undefined) throw new Error('?');
  });
  for (let i = 0; i < n; i++) hop(BROWSERS[i & 1023]!);
});

bench('proxy: GET, script reads headers, re-encode', N, (n) => {
  const hop = requestHop(count, (head) => {
    if (head.headers['host'] === undefined) throw new Error('?');
  });
  for (let i = 0; i < n; i++) hop(BROWSERS[i & 1023]!);
});
