// Heads decoded from bytes (head.ts Wire): no strings until asked, and the encoder copies
// their bytes. Every output is checked against the string path (a hand-built raw head with
// the same lines), which is how every head used to be written.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequestDecoder, createResponseDecoder, wantsKeepAlive } from '../../../../runtime/codecs/http1/decoder.ts';
import { createRequestEncoder, createResponseEncoder } from '../../../../runtime/codecs/http1/encoder.ts';
import { RequestHead, ResponseHead } from '../../../../runtime/codecs/http1/head.ts';
import { rng } from './harness.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function decodeRequests(pieces: Buffer[]): RequestHead[] {
  const heads: RequestHead[] = [];
  const dec = createRequestDecoder(
    {
      onHead: (h) => heads.push(h),
      onBody() {},
      onEnd() {},
      onError: (s, r) => {
        throw new Error(`${s} ${r}`);
      },
      onTunnel() {},
    },
    { maxHeadSize: 64 * 1024 },
  );
  for (const p of pieces) dec.write(p);
  return heads;
}

function decodeResponse(s: string, method = 'GET'): ResponseHead {
  let head: ResponseHead | null = null;
  const dec = createResponseDecoder({
    onHead: (h) => (head = h),
    onBody() {},
    onEnd() {},
    onError: (st, r) => {
      throw new Error(`${st} ${r}`);
    },
    onTunnel() {},
  });
  dec.expect(method);
  dec.write(b(s));
  return head!;
}

function encodeRequest(head: RequestHead, length: number, body = ''): { text: string; outs: number } {
  const outs: Buffer[] = [];
  const enc = createRequestEncoder((x) => outs.push(x));
  enc.start(head, length);
  if (body) enc.body(b(body));
  enc.end(null);
  return { text: Buffer.concat(outs).toString('latin1'), outs: outs.length };
}

function encodeResponse(head: ResponseHead, length: number, body: string, method = 'GET', keepAlive = true): { text: string; outs: number } {
  const outs: Buffer[] = [];
  const enc = createResponseEncoder((x) => outs.push(x));
  enc.start(head, length, method, keepAlive);
  if (body) enc.body(b(body));
  enc.end(null);
  return { text: Buffer.concat(outs).toString('latin1'), outs: outs.length };
}

/** The same head as the string path sees it: a hand-built raw array, validated in full. */
function stringRequest(h: RequestHead): RequestHead {
  return new RequestHead(h.method, h.path, h.protocol, [...h.rawHeaders()!]);
}

function stringResponse(h: ResponseHead): ResponseHead {
  return new ResponseHead(h.status, h.statusText, h.protocol, [...h.rawHeaders()!]);
}

test('nothing is made into strings until asked; then the same lines as received', () => {
  const [h] = decodeRequests([b('GET /a HTTP/1.1\r\nHost: x\r\nX-Sp:  two  \r\nX-None:\r\nConnection: keep-alive\r\nconnection: X-Y\r\n\r\n')]);
  assert.is(h!.header('host'), 'x');
  assert.is(h!.header('x-sp'), 'two');
  assert.is(h!.header('x-none'), '');
  assert.is(h!.header('connection'), 'keep-alive, X-Y');
  assert.is(h!.header('Host'), undefined); // names are asked in lowercase, as before
  assert.is(h!.header('missing'), undefined);
  assert.equal(h!.rawHeaders(), ['Host', 'x', 'X-Sp', 'two', 'X-None', '', 'Connection', 'keep-alive', 'connection', 'X-Y']);
  assert.equal(h!.headers, { host: 'x', 'x-sp': 'two', 'x-none': '', connection: 'keep-alive, X-Y' });
  assert.is(h!.rawHeaders(), null); // touched: the object is the truth now
});

test('heads split across chunks keep their own bytes (the pending buffer is not reused)', () => {
  const one = 'GET /first HTTP/1.1\r\nHost: a\r\nX-One: 1\r\n\r\n';
  const two = 'GET /second HTTP/1.1\r\nHost: b\r\nX-Two: 2\r\n\r\n';
  const all = b(one + two);
  const pieces: Buffer[] = [];
  for (let i = 0; i < all.length; i += 3) pieces.push(all.subarray(i, i + 3));
  const heads = decodeRequests(pieces);
  assert.is(heads.length, 2);
  assert.equal(heads[0]!.rawHeaders(), ['Host', 'a', 'X-One', '1']);
  assert.equal(heads[1]!.rawHeaders(), ['Host', 'b', 'X-Two', '2']);
  assert.is(encodeRequest(heads[0]!, 0).text, one);
  assert.is(encodeRequest(heads[1]!, 0).text, two);
});

test('a head passed on unchanged is the bytes it came in: no copy', () => {
  const input = b('GET /x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n');
  const outs: Buffer[] = [];
  const enc = createRequestEncoder((x) => outs.push(x));
  let head: RequestHead | null = null;
  const dec = createRequestDecoder({ onHead: (h, n) => ((head = h), enc.start(h, n)), onBody() {}, onEnd: (t) => enc.end(t), onError() {}, onTunnel() {} });
  dec.write(input);
  assert.is(outs.length, 1);
  assert.is(outs[0], input);
  const first = head!;
  // Pipelined: a view of the input, still no copy.
  outs.length = 0;
  const two = b('GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n');
  dec.write(two);
  assert.is(outs.length, 2);
  assert.is(outs[1]!.buffer, two.buffer);
  assert.is(outs[1]!.byteOffset, two.byteOffset + two.indexOf('GET /b'));
  assert.is(outs[1]!.toString('latin1'), 'GET /b HTTP/1.1\r\nHost: a\r\n\r\n');
  // Anything that changes the bytes gets a new Buffer.
  outs.length = 0;
  first.path = '/y';
  enc.start(first, 0);
  enc.end(null);
  assert.is(outs[0]!.toString('latin1'), 'GET /y HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n');
  assert.is.not(outs[0], input);
});

test('lines not written "Name: value" are re-written so; the others are copied', () => {
  const [h] = decodeRequests([b('GET / HTTP/1.1\r\nHost:a\r\nX-A:1\r\nX-B: \t2 \t\r\nX-C: 3\r\nX-D:\r\nX-E: \r\n\r\n')]);
  const { text } = encodeRequest(h!, 0);
  assert.is(text, 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: \r\nX-E: \r\n\r\n');
  assert.is(text, encodeRequest(stringRequest(h!), 0).text);
});

test('a changed start line is written anew; the header lines are still copied', () => {
  const [h] = decodeRequests([b('GET /old HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n')]);
  h!.path = '/new?q';
  h!.method = 'POST';
  assert.is(encodeRequest(h!, 2, 'hi').text, 'POST /new?q HTTP/1.1\r\nHost: a\r\nX: 1\r\ncontent-length: 2\r\n\r\nhi');
  h!.path = '/bad path';
  assert.throws(() => encodeRequest(h!, 0), /request-target/);
  const [h10] = decodeRequests([b('GET / HTTP/1.0\r\nX: 1\r\n\r\n')]);
  assert.is(encodeRequest(h10!, 0).text, 'GET / HTTP/1.1\r\nX: 1\r\n\r\n'); // we speak 1.1 upstream
});

test('status line: copied when unchanged and complete, else the standard one', () => {
  const body = 'hello\n';
  const h = decodeResponse('HTTP/1.1 200 Fine\r\nServer: n\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n');
  const r = encodeResponse(h, 6, body);
  assert.is(r.text, 'HTTP/1.1 200 Fine\r\nServer: n\r\ncontent-length: 6\r\n\r\nhello\n');
  assert.is(r.outs, 1); // head and body in one Buffer
  h.status = 404;
  assert.is(encodeResponse(h, 6, body).text, 'HTTP/1.1 404 Fine\r\nServer: n\r\ncontent-length: 6\r\n\r\nhello\n');
  h.statusText = 'Not Found';
  assert.is(encodeResponse(h, 6, body).text, 'HTTP/1.1 404 Not Found\r\nServer: n\r\ncontent-length: 6\r\n\r\nhello\n');
  const bare = decodeResponse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n');
  assert.is(encodeResponse(bare, 0, '').text, 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  const old = decodeResponse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n');
  assert.is(encodeResponse(old, 0, '').text, 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
});

test('keep-alive is read from the bytes the same as from the strings', () => {
  const cases: [string, boolean][] = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.1 200 OK\r\nConnection: x, \t close \t\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 200 OK\r\nConnection: a\r\nconnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
  ];
  for (const [s, want] of cases) {
    const h = decodeResponse(s);
    assert.is(wantsKeepAlive(h), want, s);
    assert.is(wantsKeepAlive(stringResponse(h)), want, s);
  }
});

const NAMES = ['X-A', 'Accept', 'te', 'TE', 'Trailer', 'Upgrade', 'UPGRADE', 'Connection', 'connection', 'Keep-Alive', 'Proxy-Connection', 'Expect', 'Set-Cookie', 'x-hop', 'X-Hop2'];
const VALUES = ['1', 'a b', 'websocket', 'keep-alive', 'close', 'Upgrade', 'keep-alive, x-hop', 'x-hop2,close', '100-continue', '100-Continue', 'trailers', '', 'caf\xe9', '\xa0close'];

test('random heads: bytes copied = what the string path writes, for every framing case', () => {
  const r = rng(2026);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  for (let round = 0; round < 400; round++) {
    const n = Math.floor(r() * 40); // past 31 lines too
    let lines = '';
    for (let i = 0; i < n; i++) {
      const sp = pick(['', ' ', '  ', '\t', ' \t']);
      const trail = pick(['', '', '', ' ', '\t ']);
      lines += `${pick(NAMES)}:${sp}${pick(VALUES)}${trail}\r\n`;
    }
    if (r() < 0.3) lines += `Content-Length: 0\r\n`;
    const isReq = r() < 0.5;
    if (isReq) {
      const method = pick(['GET', 'POST', 'HEAD', 'DELETE']);
      const heads = decodeRequests([b(`${method} /p HTTP/1.${r() < 0.8 ? 1 : 0}\r\nHost: h\r\n${lines}\r\n`)]);
      const h = heads[0]!;
      for (const length of [0, 3, -1]) {
        const body = length === 3 ? 'abc' : '';
        // Same bytes, and the same writes (100-continue flushes the head before the body).
        assert.equal(encodeRequest(h, length, body), encodeRequest(stringRequest(h), length, body), `round ${round} length ${length}`);
      }
    } else {
      const status = pick([200, 101, 204, 304, 404]);
      const h = decodeResponse(`HTTP/1.1 ${status} ${pick(['OK', 'Whatever', ''])}\r\n${lines}\r\n`, 'HEAD');
      for (const [method, keepAlive] of [['GET', true], ['HEAD', false], ['GET', false]] as const) {
        const length = status === 200 ? 3 : 0;
        const body = length ? 'abc' : '';
        const fast = encodeResponse(h, length, body, method, keepAlive);
        assert.equal(fast, encodeResponse(stringResponse(h), length, body, method, keepAlive), `round ${round} ${method}`);
      }
    }
  }
});

test.run();
