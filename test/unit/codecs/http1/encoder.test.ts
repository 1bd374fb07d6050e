// Encoder: raw pass-through, hop-by-hop removal, framing decisions, batching, zero-copy
// pass-through of large chunks, round trips through the decoder, response-splitting guards.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequestDecoder, createResponseDecoder } from '../../../../runtime/codecs/http1/decoder.ts';
import { createRequestEncoder, createResponseEncoder } from '../../../../runtime/codecs/http1/encoder.ts';
import { RequestHead, ResponseHead } from '../../../../runtime/codecs/http1/head.ts';
import { Recorder } from './harness.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function capture(): { outs: Buffer[]; out: (buf: Buffer) => void; text: () => string } {
  const outs: Buffer[] = [];
  return { outs, out: (buf) => outs.push(buf), text: () => Buffer.concat(outs).toString('latin1') };
}

/** Decodes one request and returns its head (as a proxy would receive it). */
function decodeRequest(s: string): RequestHead {
  const rec = { head: null as RequestHead | null };
  const dec = createRequestDecoder({
    onHead: (h) => (rec.head = h),
    onBody() {},
    onEnd() {},
    onError: (st, r) => {
      throw new Error(`${st} ${r}`);
    },
    onTunnel() {},
  });
  dec.write(b(s));
  return rec.head!;
}

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

// ---- request heads ----

test('raw header lines pass through as received, name case preserved', () => {
  const head = decodeRequest('GET /p?q HTTP/1.1\r\nHost: a\r\nX-CamelCase: V a l\r\naccept: */*\r\nX-CamelCase: 2\r\n\r\n');
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start(head, 0);
  enc.end(null);
  assert.is(c.text(), 'GET /p?q HTTP/1.1\r\nHost: a\r\nX-CamelCase: V a l\r\naccept: */*\r\nX-CamelCase: 2\r\n\r\n');
  assert.is(c.outs.length, 1);
});

test('hop-by-hop and framing fields are dropped, with the ones Connection names', () => {
  const head = decodeRequest(
    'POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nProxy-Connection: x\r\n' +
      'TE: trailers\r\nTrailer: X-Sum\r\nUpgrade: websocket\r\nX-Hop: 1\r\nx-hop: 2\r\nContent-Length: 2\r\nX-Keep: y\r\n\r\nhi',
  );
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start(head, 2);
  enc.body(b('hi'));
  enc.end(null);
  assert.is(c.text(), 'POST / HTTP/1.1\r\nHost: a\r\nX-Keep: y\r\ncontent-length: 2\r\n\r\nhi');
});

test('hop-by-hop lines are dropped wherever they sit, also past the 31-line mask', () => {
  let req = 'GET / HTTP/1.1\r\nHost: a\r\n';
  for (let i = 0; i < 40; i++) req += `X-${i}: ${i}\r\n`;
  req += 'Keep-Alive: 5\r\nCONNECTION: x-39\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n';
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start(decodeRequest(req), 0);
  enc.end(null);
  const text = c.text();
  assert.ok(text.includes('X-38: 38\r\n'));
  for (const gone of ['X-39', 'Keep-Alive', 'CONNECTION', 'TE:', 'Content-Length']) assert.not.ok(text.includes(gone), gone);
  assert.ok(text.endsWith('X-38: 38\r\ncontent-length: 0\r\n\r\n'));
});

test('a hand-built raw array is validated in full (it carries no decoder mark)', () => {
  const head = new RequestHead('GET', '/', 'HTTP/1.1', ['Host', 'a', 'X', 'ok\x00']);
  assert.is(codeOf(() => createRequestEncoder(() => {}).start(head, 0)), 'ProtocolError');
});

test('transfer-encoding from the previous hop is dropped; framing is ours', () => {
  const head = decodeRequest('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start(head, -1);
  enc.body(b('abc'));
  enc.end(null);
  assert.is(c.text(), 'POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 3\r\n\r\nabc');
  assert.is(c.outs.length, 1);
});

test('upgrade requests keep Upgrade and say connection: upgrade', () => {
  const head = decodeRequest('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\n\r\n');
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start(head, 0);
  enc.end(null);
  assert.is(c.text(), 'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\nconnection: upgrade\r\n\r\n');
});

test('a touched head is written from its headers object; set-cookie split into lines', () => {
  const head = new ResponseHead(200, 'OK', 'HTTP/1.1', ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X', 'y']);
  head.headers['x'] = 'z'; // materialises: raw is gone
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start(head, 0, 'GET', true);
  enc.end(null);
  assert.is(c.text(), 'HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx: z\r\ncontent-length: 0\r\n\r\n');
});

test('plain-object heads: defaults and mixed-case hop-by-hop names', () => {
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start({ headers: { host: 'h', Connection: 'close', 'Content-Length': '99', 'X-N': 5 as unknown as string } }, 0);
  enc.end(null);
  assert.is(c.text(), 'GET / HTTP/1.1\r\nhost: h\r\nX-N: 5\r\ncontent-length: 0\r\n\r\n'); // it had one
});

// ---- request framing ----

test('length 0: no content-length for GET/HEAD/DELETE/OPTIONS/TRACE/CONNECT, 0 for POST', () => {
  for (const m of ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']) {
    const c = capture();
    const enc = createRequestEncoder(c.out);
    enc.start({ method: m, path: '/', headers: { host: 'a' } }, 0);
    enc.end(null);
    assert.is(c.text(), `${m} / HTTP/1.1\r\nhost: a\r\n\r\n`, m);
  }
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start({ method: 'POST', path: '/', headers: { host: 'a' } }, 0);
  enc.end(null);
  assert.is(c.text(), 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n');
});

test('length 0 on GET keeps content-length: 0 when the head had one', () => {
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start(decodeRequest('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'), 0);
  enc.end(null);
  assert.is(c.text(), 'GET / HTTP/1.1\r\nHost: a\r\ncontent-length: 0\r\n\r\n');
});

test('unknown length, nothing sent on a GET: no framing at all', () => {
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start({ method: 'GET', path: '/', headers: { host: 'a' } }, -1);
  enc.end(null);
  assert.is(c.text(), 'GET / HTTP/1.1\r\nhost: a\r\n\r\n');
});

test('known length: head and body leave as one Buffer', () => {
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start({ method: 'POST', path: '/x', headers: { host: 'a' } }, 5);
  assert.is(c.outs.length, 0);
  enc.body(b('hello'));
  enc.end(null);
  assert.is(c.outs.length, 1);
  assert.is(c.text(), 'POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\nhello');
});

test('Expect: 100-continue flushes the head before any body', () => {
  const c = capture();
  const enc = createRequestEncoder(c.out);
  enc.start({ method: 'PUT', path: '/', headers: { host: 'a', expect: '100-continue' } }, 5);
  assert.is(c.outs.length, 1);
  enc.body(b('hello'));
  enc.end(null);
  assert.is(c.text(), 'PUT / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\nhello');
});

test('large body chunks pass through as the same Buffer (no copy)', () => {
  const c = capture();
  const enc = createRequestEncoder(c.out);
  const big = Buffer.alloc(100000, 0x62);
  enc.start({ method: 'POST', path: '/', headers: { host: 'a' } }, 200000);
  enc.body(big);
  enc.body(big);
  enc.end(null);
  assert.is(c.outs.length, 3);
  assert.is(c.outs[1], big);
  assert.is(c.outs[2], big);
});

test('unknown length over bufferSize switches to chunked; large chunks are not copied', () => {
  const c = capture();
  const enc = createRequestEncoder(c.out, { bufferSize: 8 });
  enc.start({ method: 'POST', path: '/', headers: { host: 'a' } }, -1);
  enc.body(b('12345'));
  assert.is(c.outs.length, 0);
  enc.body(b('6789'));
  assert.is(c.outs.length, 1);
  const big = Buffer.alloc(5000, 0x63);
  enc.body(big);
  assert.ok(c.outs.includes(big));
  enc.end({ 'X-Sum': '1' });
  const text = c.text();
  assert.ok(text.startsWith('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n9\r\n123456789\r\n1388\r\n'));
  assert.ok(text.endsWith('\r\n0\r\nX-Sum: 1\r\n\r\n'));
});

test('trailers at the end of a buffered body switch it to chunked instead of being lost', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start({ status: 200 }, -1, 'POST', true);
  enc.body(b('data'));
  enc.end({ 'grpc-status': '0' });
  assert.is(c.text(), 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\ngrpc-status: 0\r\n\r\n');
  const c2 = capture();
  const enc2 = createResponseEncoder(c2.out);
  enc2.start({ status: 200 }, -1, 'POST', true);
  enc2.end({ 'grpc-status': '0' });
  assert.is(c2.text(), 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\ngrpc-status: 0\r\n\r\n');
});

test('content-length exceeded or not reached throws ProtocolError', () => {
  const enc = createRequestEncoder(() => {});
  enc.start({ method: 'POST', path: '/', headers: { host: 'a' } }, 3);
  assert.is(codeOf(() => enc.body(b('abcd'))), 'ProtocolError');
  const enc2 = createRequestEncoder(() => {});
  enc2.start({ method: 'POST', path: '/', headers: { host: 'a' } }, 3);
  enc2.body(b('ab'));
  assert.is(codeOf(() => enc2.end(null)), 'ProtocolError');
});

test('start() before end() throws when a message would be lost or the stream corrupted', () => {
  const buffering = createResponseEncoder(() => {});
  buffering.start({ status: 200 }, -1, 'GET', true);
  buffering.body(b('x'));
  assert.is(codeOf(() => buffering.start({ status: 200 }, 0, 'GET', true)), 'ProtocolError');
  const chunked = createResponseEncoder(() => {}, { bufferSize: 0 });
  chunked.start({ status: 200 }, -1, 'GET', true);
  chunked.body(b('x'));
  assert.is(codeOf(() => chunked.start({ status: 200 }, 0, 'GET', true)), 'ProtocolError');
  const short = createRequestEncoder(() => {});
  short.start({ method: 'POST', path: '/', headers: {} }, 2);
  short.body(b('x'));
  assert.is(codeOf(() => short.start({ method: 'GET', path: '/', headers: {} }, 0)), 'ProtocolError');
  // Complete messages may be followed without end(): nothing is lost.
  const c = capture();
  const ok = createResponseEncoder(c.out);
  ok.start({ status: 204 }, 0, 'GET', true);
  ok.start({ status: 200 }, 1, 'GET', true);
  ok.body(b('y'));
  ok.start({ status: 304 }, 0, 'GET', true);
  assert.is(c.text(), 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nyHTTP/1.1 304 Not Modified\r\n\r\n');
});

// ---- round trips ----

function roundTripRequest(pieces: Buffer[], bufferSize: number, trailers: Record<string, string> | null) {
  const c = capture();
  const enc = createRequestEncoder(c.out, { bufferSize });
  enc.start({ method: 'POST', path: '/rt', headers: { host: 'a', 'x-y': 'z' } }, -1);
  for (const p of pieces) enc.body(p);
  enc.end(trailers);
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  for (const o of c.outs) dec.write(o);
  return rec.events;
}

test('round trip: chunked output decodes back to the same body and trailers', () => {
  const pieces = [b('a'), Buffer.alloc(3000, 0x41), b('zz'), Buffer.alloc(20000, 0x42)];
  const ev = roundTripRequest(pieces, 16, { 'x-checksum': 'abc' });
  assert.equal(ev[0], { head: { method: 'POST', path: '/rt', protocol: 'HTTP/1.1', raw: ['host', 'a', 'x-y', 'z', 'transfer-encoding', 'chunked'] }, length: -1 });
  assert.is((ev[1] as { body: string }).body, Buffer.concat(pieces).toString('latin1'));
  assert.equal(ev[2], { end: { 'x-checksum': 'abc' } });
});

test('round trip: buffered output decodes back with a content-length', () => {
  const ev = roundTripRequest([b('hello '), b('world')], 1024, null);
  assert.is((ev[0] as { length: number }).length, 11);
  assert.equal(ev.slice(1), [{ body: 'hello world' }, { end: null }]);
});

test('round trip: response encode then decode, pipelined', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start({ status: 200, headers: { 'content-type': 'text/plain' } }, 2, 'GET', true);
  enc.body(b('ok'));
  enc.end(null);
  enc.start({ status: 404 }, -1, 'GET', true);
  enc.body(b('nope'));
  enc.end(null);
  const rec = new Recorder<ResponseHead>();
  const dec = createResponseDecoder(rec);
  dec.expect('GET');
  dec.expect('GET');
  dec.write(Buffer.concat(c.outs));
  assert.equal(
    rec.events.map((e) => ('head' in e ? `${e.head.status} ${e.head.statusText} ${e.length}` : JSON.stringify(e))),
    ['200 OK 2', '{"body":"ok"}', '{"end":null}', '404 Not Found 4', '{"body":"nope"}', '{"end":null}'],
  );
});

// ---- responses ----

test('status line: standard reason phrase unless the head has one', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start({ status: 503 }, 0, 'GET', true);
  enc.end(null);
  enc.start({ status: 200, statusText: 'Fine' }, 0, 'GET', true);
  enc.end(null);
  assert.is(c.text(), 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 Fine\r\ncontent-length: 0\r\n\r\n');
});

test('HEAD response keeps its own content-length and sends no body', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start(new ResponseHead(200, 'OK', 'HTTP/1.1', ['Content-Length', '1234', 'ETag', 'x']), 0, 'HEAD', true);
  enc.body(b('ignored'));
  enc.end(null);
  assert.is(c.text(), 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: x\r\n\r\n');
});

test('1xx, 204 and 304: no body, no content-length', () => {
  for (const [status, reason] of [[100, 'Continue'], [204, 'No Content'], [304, 'Not Modified']] as const) {
    const c = capture();
    const enc = createResponseEncoder(c.out);
    enc.start(new ResponseHead(status, '', 'HTTP/1.1', ['Content-Length', '10', 'X', 'y']), -1, 'GET', true);
    enc.body(b('dropped'));
    enc.end(null);
    assert.is(c.text(), `HTTP/1.1 ${status} ${reason}\r\nX: y\r\n\r\n`);
  }
});

test('101: upgrade kept, connection: upgrade, then raw bytes', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start(new ResponseHead(101, 'Switching Protocols', 'HTTP/1.1', ['Upgrade', 'websocket', 'Connection', 'Upgrade']), 0, 'GET', true);
  const frame = b('\x81\x02hi');
  enc.body(frame);
  assert.is(c.outs[1], frame);
  assert.is(c.text(), 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nconnection: upgrade\r\n\r\n\x81\x02hi');
});

test('2xx to CONNECT: no framing, then raw bytes', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start({ status: 200, statusText: 'Connection Established', headers: { 'content-length': '5' } }, -1, 'CONNECT', true);
  enc.body(b('\x16\x03'));
  assert.is(c.text(), 'HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03');
});

test('keepAlive false adds connection: close', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start({ status: 200, headers: { connection: 'keep-alive' } }, 2, 'GET', false);
  enc.body(b('ok'));
  enc.end(null);
  assert.is(c.text(), 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok');
  assert.is(c.outs.length, 1);
});

test('unknown length on a closing connection: close-delimited, not chunked (HTTP/1.0 safe)', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out, { bufferSize: 4 });
  enc.start({ status: 200 }, -1, 'GET', false);
  enc.body(b('abc'));
  enc.body(b('defgh'));
  const big = Buffer.alloc(5000, 0x7a);
  enc.body(big);
  enc.end(null);
  assert.is(c.outs[1], big);
  assert.is(c.text(), 'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabcdefgh' + 'z'.repeat(5000));
  // Small enough to buffer: still a content-length.
  const c2 = capture();
  const enc2 = createResponseEncoder(c2.out);
  enc2.start({ status: 200 }, -1, 'GET', false);
  enc2.body(b('abc'));
  enc2.end(null);
  assert.is(c2.text(), 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\nabc');
});

test('a small response with a buffered body is one Buffer', () => {
  const c = capture();
  const enc = createResponseEncoder(c.out);
  enc.start({ status: 200 }, -1, 'GET', true);
  enc.body(b('hello '));
  enc.body(b('world'));
  enc.end(null);
  assert.is(c.outs.length, 1);
  assert.is(c.text(), 'HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world');
});

// ---- response splitting ----

test('CR, LF or NUL anywhere in a head is rejected (response splitting)', () => {
  const bad: Array<() => void> = [
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { x: 'a\r\nSet-Cookie: evil=1' } }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { x: 'a\nb' } }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { x: 'a\rb' } }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { x: 'a\0b' } }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { 'x\r\ny': 'a' } }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, statusText: 'OK\r\nX: y' }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start(new ResponseHead(200, 'OK', 'HTTP/1.1', ['X', 'a\r\n\r\nHTTP/1.1 200 OK']), 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { 'set-cookie': 'a=1\nb=2\r\nX: y' } }, 0, 'GET', true),
    () => createRequestEncoder(() => {}).start({ method: 'GET', path: '/\r\nX: y', headers: {} }, 0),
    () => createRequestEncoder(() => {}).start({ method: 'GET', path: '/a b', headers: {} }, 0),
    () => createRequestEncoder(() => {}).start({ method: 'GE T', path: '/', headers: {} }, 0),
    () => createRequestEncoder(() => {}).start({ method: 'GET', path: '/', headers: { 'bad name': 'v' } }, 0),
    () => createRequestEncoder(() => {}).start({ method: 'GET', path: '/', headers: { 'x:y': 'v' } }, 0),
    () => createRequestEncoder(() => {}).start({ method: 'GET', path: '/', headers: { '': 'v' } }, 0),
  ];
  bad.forEach((fn, i) => assert.is(codeOf(fn), 'ProtocolError', `case ${i}`));
});

test('chars above U+00FF are refused: latin1 would truncate U+010A to LF, U+010D to CR', () => {
  const bad: Array<() => void> = [
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { x: 'a\u010aSet-Cookie: evil=1' } }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, headers: { 'x\u010d': 'a' } }, 0, 'GET', true),
    () => createResponseEncoder(() => {}).start({ status: 200, statusText: 'OK\u010d\u010a' }, 0, 'GET', true),
    () => createRequestEncoder(() => {}).start({ method: 'GET', path: '/\u0120HTTP/1.1', headers: {} }, 0),
  ];
  bad.forEach((fn, i) => assert.is(codeOf(fn), 'ProtocolError', `case ${i}`));
  // obs-text (U+0080..U+00FF) is one byte each and allowed in values (RFC 9110 §5.5).
  const c = capture();
  createResponseEncoder(c.out).start({ status: 200, headers: { x: 'caf\u00e9' } }, 0, 'GET', true);
  assert.ok(Buffer.concat(c.outs).includes(Buffer.from([0x63, 0x61, 0x66, 0xe9])));
});

test('CR/LF in chunked trailers is rejected', () => {
  const enc = createResponseEncoder(() => {}, { bufferSize: 0 });
  enc.start({ status: 200 }, -1, 'GET', true);
  enc.body(b('x'));
  assert.is(codeOf(() => enc.end({ 'x-sum': '1\r\nX: y' })), 'ProtocolError');
});

test('options are validated once', () => {
  assert.throws(() => createRequestEncoder(() => {}, { bufferSize: -1 }));
});

test.run();
