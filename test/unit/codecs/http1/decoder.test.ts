// Decoder behaviour that golden fixtures cannot show: zero-copy views, tunnel holding,
// the response FIFO, limits, the keep-alive helper and silence after errors.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequestDecoder, createResponseDecoder, wantsKeepAlive } from '../../../../runtime/codecs/http1/decoder.ts';
import { RequestHead, ResponseHead } from '../../../../runtime/codecs/http1/head.ts';
import { Recorder } from './harness.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('body chunks are views of the input, not copies', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  const input = b('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello');
  dec.write(input);
  assert.is(rec.views.length, 1);
  assert.is(rec.views[0]!.buffer, input.buffer);
  assert.is(rec.views[0]!.byteOffset, input.byteOffset + input.length - 5);
});

test('body after a head split across chunks is a view of the second chunk', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('POST / HTTP/1.1\r\nHost: a\r\nContent-Le'));
  const second = b('ngth: 3\r\n\r\nabc');
  dec.write(second);
  assert.is(rec.views.length, 1);
  assert.is(rec.views[0]!.buffer, second.buffer);
  assert.is(rec.views[0]!.toString(), 'abc');
});

test('chunked data is delivered as views too', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  const input = b('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
  dec.write(input);
  assert.is(rec.views[0]!.buffer, input.buffer);
});

test('a large body is streamed, never buffered whole', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3000000\r\n\r\n'));
  const piece = Buffer.alloc(1000000, 0x61);
  for (let i = 0; i < 3; i++) dec.write(piece);
  assert.is(rec.views.length, 3);
  for (const v of rec.views) assert.is(v.buffer, piece.buffer);
  assert.equal(rec.events.at(-1), { end: null });
});

test('the head object carries raw lines; headers materialise lazily and lowercase', () => {
  const heads: RequestHead[] = [];
  const dec = createRequestDecoder({ onHead: (h) => heads.push(h), onBody() {}, onEnd() {}, onError() {}, onTunnel() {} });
  dec.write(b('GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n'));
  const h = heads[0]!;
  assert.ok(h instanceof RequestHead);
  assert.equal(h.rawHeaders(), ['Host', 'a', 'X-A', '1', 'x-a', '2', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  assert.is(h.header('x-a'), '1, 2');
  assert.equal(h.headers, { host: 'a', 'x-a': '1, 2', 'set-cookie': 'a=1\nb=2' });
});

test('upgrade: input after the request is held until acceptTunnel(true)', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nAAA'));
  assert.ok(dec.awaitingTunnel);
  dec.write(b('BBB'));
  assert.is(rec.events.length, 2); // head, end: nothing of AAA/BBB yet
  dec.acceptTunnel(true);
  assert.not.ok(dec.awaitingTunnel);
  dec.write(b('CCC'));
  assert.equal(rec.events.slice(2), [{ tunnel: 'AAABBBCCC' }]);
});

test('upgrade: acceptTunnel(false) parses the held bytes as requests', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nGET /2 HTTP/1.1\r\n'));
  dec.write(b('Host: a\r\n\r\n'));
  assert.is(rec.events.length, 2);
  dec.acceptTunnel(false);
  assert.is(rec.events.length, 4);
  assert.equal((rec.events[2] as { head: Record<string, unknown> }).head['path'], '/2');
});

test('upgrade: end() while awaiting is applied after acceptTunnel(false)', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\nGET / HTTP/1.1\r\n'));
  dec.end();
  assert.is(rec.events.length, 2);
  dec.acceptTunnel(false);
  assert.equal(rec.events.at(-1), { error: [400, 'connection closed mid-message'] });
});

test('Upgrade in an HTTP/1.0 request is ignored (RFC 9110 §7.8)', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nGET /2 HTTP/1.0\r\n\r\n'));
  assert.not.ok(dec.awaitingTunnel);
  assert.is(rec.events.length, 4);
});

test('CONNECT with a body waits for the body before the tunnel', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 2\r\n\r\nxy'));
  assert.ok(dec.awaitingTunnel);
  dec.write(b('z'));
  dec.acceptTunnel(true);
  assert.equal(rec.events.slice(1), [{ body: 'xy' }, { end: null }, { tunnel: 'z' }]);
});

test('write() from inside a callback is processed after the current chunk, in order', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  let once = true;
  rec.onEndHook = () => {
    if (once) {
      once = false;
      dec.write(b('LATER'));
    }
  };
  dec.write(b('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nFIRST'));
  dec.acceptTunnel(true);
  assert.equal(rec.events.slice(2), [{ tunnel: 'FIRSTLATER' }]);
});

test('response FIFO: HEAD then GET; 100 does not consume a method', () => {
  const rec = new Recorder<ResponseHead>();
  const dec = createResponseDecoder(rec);
  dec.expect('HEAD');
  dec.expect('GET');
  dec.write(b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'));
  dec.write(b('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'));
  assert.equal(
    rec.events.map((e) => ('head' in e ? `head:${e.head.status}:${e.length}` : Object.keys(e)[0])),
    ['head:100:0', 'end', 'head:200:0', 'end', 'head:200:3', 'body', 'end'],
  );
});

test('response: expect() may be called while earlier responses are in flight', () => {
  const rec = new Recorder<ResponseHead>();
  const dec = createResponseDecoder(rec);
  dec.expect('GET');
  dec.write(b('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'));
  dec.expect('CONNECT');
  dec.write(b('HTTP/1.1 200 OK\r\n\r\ntunnel!'));
  assert.equal(rec.events.at(-1), { tunnel: 'tunnel!' });
});

test('response FIFO keeps order when it grows past its ring size while wrapped', () => {
  const rec = new Recorder<ResponseHead>();
  const dec = createResponseDecoder(rec);
  const methods = ['GET', 'HEAD', 'GET', 'HEAD', 'HEAD', 'GET', 'GET', 'HEAD', 'GET', 'HEAD', 'HEAD', 'GET', 'HEAD', 'GET', 'GET', 'HEAD', 'GET', 'HEAD', 'GET', 'GET'];
  const res = b('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx');
  for (let i = 0; i < 5; i++) dec.expect('GET');
  for (let i = 0; i < 5; i++) dec.write(res); // head of the ring is now at 5
  for (const m of methods) dec.expect(m);
  for (let i = 0; i < methods.length; i++) {
    dec.write(methods[i] === 'HEAD' ? b('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n') : res);
  }
  const lengths = rec.events.filter((e) => 'head' in e).map((e) => (e as { length: number }).length);
  assert.equal(lengths, [1, 1, 1, 1, 1, ...methods.map((m) => (m === 'HEAD' ? 0 : 1))]);
  assert.not.ok(rec.events.some((e) => 'error' in e));
});

test('response: read-until-close ends on end()', () => {
  const rec = new Recorder<ResponseHead>();
  const dec = createResponseDecoder(rec);
  dec.write(b('HTTP/1.1 200 OK\r\n\r\nabc'));
  assert.equal(rec.events.at(-1), { body: 'abc' });
  dec.end();
  assert.equal(rec.events.at(-1), { end: null });
});

test('nothing is reported after an error, whatever follows', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'));
  dec.write(b('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
  dec.end();
  assert.equal(rec.events, [{ error: [400, 'multiple host headers'] }]);
});

test('end() with nothing pending is clean', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
  dec.end();
  dec.write(b('GET / HTTP/1.1\r\nHost: a\r\n\r\n')); // ignored after end
  assert.is(rec.events.length, 2);
});

test('limits are validated once, at construction', () => {
  const rec = new Recorder<RequestHead>();
  assert.throws(() => createRequestDecoder(rec, { maxHeadSize: 0 }));
  assert.throws(() => createRequestDecoder(rec, { maxHeaders: -1 }));
  assert.throws(() => createResponseDecoder(new Recorder<ResponseHead>(), { maxBodySize: NaN }));
});

test('a pending head is bounded by maxHeadSize even when fed byte by byte', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec, { maxHeadSize: 100 });
  const input = b('GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'y'.repeat(200));
  for (let i = 0; i < input.length; i++) dec.write(input.subarray(i, i + 1));
  assert.equal(rec.events, [{ error: [431, 'head too large'] }]);
});

test('many pipelined requests in one chunk, in order', () => {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec);
  dec.write(b('GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n'.repeat(100)));
  assert.is(rec.events.length, 200);
});

test('pipelined heads that cross the 4 KiB text window, long heads past it', () => {
  // Small requests first, so a window is cached at the batch start; then heads of many sizes
  // that straddle its end, found with the buffer scan and re-sliced.
  for (const big of [3000, 4000, 4090, 5000, 9000]) {
    const small = 'GET /s HTTP/1.1\r\nHost: a\r\n\r\n';
    const long = `GET /l HTTP/1.1\r\nHost: a\r\nX-Big: ${'v'.repeat(big)}\r\n\r\n`;
    const rec = new Recorder<RequestHead>();
    const dec = createRequestDecoder(rec);
    dec.write(b(small.repeat(20) + long + small + long));
    const heads = rec.events.filter((e) => 'head' in e) as unknown as Array<{ head: { path: string; raw: string[] } }>;
    assert.is(heads.length, 23, `big=${big}: ${JSON.stringify(rec.events.at(-1))}`);
    assert.is(heads[20]!.head.path, '/l');
    assert.is(heads[20]!.head.raw[3]!.length, big);
    assert.is(heads[22]!.head.raw[3]!.length, big);
  }
});

test('wantsKeepAlive follows RFC 9112 §9.3', () => {
  const req = (protocol: string, raw: string[]) => new RequestHead('GET', '/', protocol, raw);
  assert.ok(wantsKeepAlive(req('HTTP/1.1', [])));
  assert.not.ok(wantsKeepAlive(req('HTTP/1.1', ['Connection', 'Close'])));
  assert.not.ok(wantsKeepAlive(req('HTTP/1.1', ['Connection', 'upgrade, close'])));
  assert.ok(wantsKeepAlive(req('HTTP/1.1', ['Connection', 'closed'])));
  assert.not.ok(wantsKeepAlive(req('HTTP/1.0', [])));
  assert.ok(wantsKeepAlive(req('HTTP/1.0', ['Connection', 'Keep-Alive'])));
  assert.not.ok(wantsKeepAlive(req('HTTP/1.0', ['Connection', 'keep-alive', 'Connection', 'close'])));
  assert.ok(wantsKeepAlive(new ResponseHead(200, 'OK', 'HTTP/1.1', [])));
  assert.not.ok(wantsKeepAlive(new ResponseHead(200, 'OK', 'HTTP/1.0', [])));
  // A script's materialised headers are read the same way.
  const h = req('HTTP/1.1', []);
  h.headers = { connection: 'close' };
  assert.not.ok(wantsKeepAlive(h));
});

test.run();
