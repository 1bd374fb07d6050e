// decodeHTTPRequest / decodeHTTPResponse / encodeHTTPRequest / encodeHTTPResponse driven
// directly through pipeline instances (no sockets): events out, framing, tunnels, errors.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Designer } from '../../../runtime/api/designer.ts';
import { Data, Kind, MessageEnd, MessageStart, StreamEnd, type Event } from '../../../runtime/engine/event.ts';
import { ConfigError } from '../../../runtime/engine/errors.ts';
import { RequestHead, ResponseHead } from '../../../runtime/codecs/http1/head.ts';

function run(build: (d: Designer<any>) => unknown, input: Event[], ctx: object = {}): Event[] {
  const out: Event[] = [];
  const layout = Designer.build(build, 'unit', 'unit');
  const p = layout.instantiate(ctx, { input: (e: Event) => void out.push(e) });
  for (const e of input) p.input(e);
  p.shutdown();
  return out;
}

const bytes = (out: Event[]) => Buffer.concat(out.filter((e): e is Data => e.kind === Kind.Data).flatMap((d) => [...d.chunks])).toString('latin1');
const d = (s: string) => Data.of(Buffer.from(s, 'latin1'));

test('decodeHTTPRequest: head, body and trailers of a chunked request, then the next request', () => {
  const out = run(($) => $.decodeHTTPRequest(), [
    d('POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n'),
    StreamEnd.OK,
  ]);
  const kinds = out.map((e) => e.kind);
  assert.equal(kinds, [Kind.MessageStart, Kind.Data, Kind.MessageEnd, Kind.MessageStart, Kind.MessageEnd, Kind.StreamEnd]);
  const h = (out[0] as MessageStart<RequestHead>).head;
  assert.is(h.method, 'POST');
  assert.is((out[0] as MessageStart).length, -1);
  assert.is((out[1] as Data).toString(), 'abc');
  assert.equal((out[2] as MessageEnd).tail, { 'x-t': '1' });
  assert.is((out[3] as MessageStart<RequestHead>).head.path, '/b');
  assert.is((out[3] as MessageStart).length, 0);
});

test('decodeHTTPRequest: malformed input ends the stream with ProtocolError carrying the status', () => {
  const out = run(($) => $.decodeHTTPRequest(), [d('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'), d('more'), StreamEnd.OK]);
  assert.is(out.length, 1);
  const e = out[0] as StreamEnd;
  assert.is(e.kind, Kind.StreamEnd);
  assert.is(e.error, 'ProtocolError');
  assert.ok(e.message.startsWith('400'), e.message);
});

test('decodeHTTPRequest: a cut-short body at EOF is a ProtocolError, not a clean end', () => {
  const out = run(($) => $.decodeHTTPRequest(), [d('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'), StreamEnd.OK]);
  const last = out[out.length - 1] as StreamEnd;
  assert.is(last.error, 'ProtocolError');
});

test('decodeHTTPRequest: bytes after CONNECT pass on raw, outside any message', () => {
  const out = run(($) => $.decodeHTTPRequest(), [d('CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n\x16\x03\x01'), d('GET / HTTP/1.1\r\n')]);
  assert.equal(out.map((e) => e.kind), [Kind.MessageStart, Kind.MessageEnd, Kind.Data, Kind.Data]);
  assert.is((out[2] as Data).toString('latin1'), '\x16\x03\x01');
  assert.is((out[3] as Data).toString('latin1'), 'GET / HTTP/1.1\r\n');
});

test('decodeHTTPRequest: maxHeadSize option applies', () => {
  const out = run(($) => $.decodeHTTPRequest({ maxHeadSize: 64 }), [d(`GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(100)}\r\n\r\n`)]);
  assert.is((out[0] as StreamEnd).error, 'ProtocolError');
  assert.ok((out[0] as StreamEnd).message.startsWith('431'));
});

test('decodeHTTPResponse: content-length, chunked and read-until-close bodies', () => {
  const out = run(($) => $.decodeHTTPResponse(), [
    d('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil'),
    d('-close'),
    StreamEnd.OK,
  ]);
  const starts = out.filter((e): e is MessageStart<ResponseHead> => e.kind === Kind.MessageStart);
  assert.equal(starts.map((s) => [s.head.status, s.length]), [[200, 2], [201, -1], [200, -1]]);
  assert.is(bytes(out), 'hixuntil-close');
  assert.is(out.filter((e) => e.kind === Kind.MessageEnd).length, 3);
  assert.is((out[out.length - 1] as StreamEnd).error, '');
});

test('decodeHTTPResponse: without method() a HEAD response is read as GET (documented); with it, no body is expected', () => {
  const wire = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n';
  const plain = run(($) => $.decodeHTTPResponse(), [d(wire)]);
  // Read as GET: the next response's bytes are taken as the 5-byte body.
  assert.is(plain.filter((e) => e.kind === Kind.MessageStart).length, 1);
  const methods = ['HEAD', 'GET'];
  const headAware = run(($) => $.decodeHTTPResponse({ method: () => methods.shift() ?? 'GET' }), [d(wire)]);
  const starts = headAware.filter((e): e is MessageStart<ResponseHead> => e.kind === Kind.MessageStart);
  assert.equal(starts.map((s) => s.head.status), [200, 204]);
});

test('decodeHTTPResponse: 100 Continue does not use up a method; a 2xx to CONNECT turns into raw bytes', () => {
  const methods = ['CONNECT'];
  const out = run(($) => $.decodeHTTPResponse({ method: () => methods.shift() ?? 'GET' }), [d('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nRAW'), d('MORE')]);
  const starts = out.filter((e): e is MessageStart<ResponseHead> => e.kind === Kind.MessageStart);
  assert.equal(starts.map((s) => s.head.status), [100, 200]);
  assert.is(bytes(out), 'RAWMORE');
});

test('decodeHTTPResponse: a bad status line is a ProtocolError', () => {
  const out = run(($) => $.decodeHTTPResponse(), [d('HTTP/1.1 2x0 OK\r\n\r\n')]);
  assert.is((out[0] as StreamEnd).error, 'ProtocolError');
});

test('encodeHTTPRequest: known length gets content-length; unknown and large goes chunked past bufferSize', () => {
  const known = run(($) => $.encodeHTTPRequest(), [new MessageStart({ method: 'POST', path: '/p', headers: { host: 'h' } }, 3), d('abc'), new MessageEnd()]);
  assert.is(bytes(known), 'POST /p HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabc');
  const small = run(($) => $.encodeHTTPRequest({ bufferSize: 8 }), [new MessageStart({ method: 'POST', path: '/', headers: { host: 'h' } }), d('abcd'), new MessageEnd()]);
  assert.ok(bytes(small).endsWith('content-length: 4\r\n\r\nabcd'), bytes(small));
  const big = run(($) => $.encodeHTTPRequest({ bufferSize: 8 }), [new MessageStart({ method: 'POST', path: '/', headers: { host: 'h' } }), d('abcdefghij'), d('k'), new MessageEnd()]);
  assert.ok(bytes(big).includes('transfer-encoding: chunked\r\n\r\na\r\nabcdefghij\r\n1\r\nk\r\n0\r\n\r\n'), bytes(big));
});

test('encodeHTTPRequest: a stale content-length header is ignored in favour of MessageStart.length', () => {
  const out = run(($) => $.encodeHTTPRequest(), [new MessageStart({ method: 'PUT', path: '/', headers: { host: 'h', 'content-length': '999' } }, 2), d('ok'), new MessageEnd()]);
  const text = bytes(out);
  assert.not.ok(text.includes('999'), text);
  assert.ok(text.includes('content-length: 2'));
});

test('encodeHTTPRequest: CR/LF in a header value ends the stream with ProtocolError and writes nothing', () => {
  const out = run(($) => $.encodeHTTPRequest(), [new MessageStart({ method: 'GET', path: '/', headers: { host: 'h', 'x-a': 'v\r\nx-injected: 1' } }, 0), new MessageEnd()]);
  assert.is(bytes(out), '');
  assert.is(out.length, 1);
  assert.is((out[0] as StreamEnd).error, 'ProtocolError');
});

test('encodeHTTPResponse: framing, connection: close kept, bad status refused', () => {
  const out = run(($) => $.encodeHTTPResponse(), [new MessageStart({ status: 404, headers: { connection: 'close' } }, 4), d('nope'), new MessageEnd(), StreamEnd.OK]);
  const text = bytes(out);
  assert.ok(text.startsWith('HTTP/1.1 404 Not Found\r\n'), text);
  assert.ok(/connection: close/i.test(text));
  assert.ok(text.endsWith('content-length: 4\r\n\r\nnope'));
  assert.is(out[out.length - 1]!.kind, Kind.StreamEnd);
  const bad = run(($) => $.encodeHTTPResponse(), [new MessageStart({ status: 42 }, 0), new MessageEnd()]);
  assert.is((bad[0] as StreamEnd).error, 'ProtocolError');
});

test('encodeHTTPResponse: a chunked response with trailers', () => {
  const out = run(($) => $.encodeHTTPResponse({ bufferSize: 0 }), [new MessageStart({ status: 200 }), d('ab'), new MessageEnd({ 'x-sum': '1' })]);
  assert.ok(bytes(out).endsWith('transfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nx-sum: 1\r\n\r\n'), bytes(out));
});

test('encodeHTTPResponse: after a 101, Data outside the message passes through raw', () => {
  const out = run(($) => $.encodeHTTPResponse(), [new MessageStart({ status: 101, headers: { upgrade: 'websocket' } }, 0), new MessageEnd(), d('\x81\x00')]);
  assert.ok(bytes(out).endsWith('\r\n\r\n\x81\x00'), JSON.stringify(bytes(out)));
});

test('round trip: encodeHTTPRequest output decodes back to the same request', () => {
  const out = run(($) => $.encodeHTTPRequest().decodeHTTPRequest(), [
    new MessageStart({ method: 'POST', path: '/r?q=1', headers: { host: 'h', 'x-a': 'b' } }),
    d('x'.repeat(20000)),
    new MessageEnd({ 'x-t': 'v' }),
  ]);
  const s = out[0] as MessageStart<RequestHead>;
  assert.is(s.head.method, 'POST');
  assert.is(s.head.path, '/r?q=1');
  assert.is(s.head.headers['x-a'], 'b');
  assert.is(bytes(out).length, 20000);
  assert.equal((out.find((e) => e.kind === Kind.MessageEnd) as MessageEnd).tail, { 'x-t': 'v' });
});

test('designer: options are checked at load time', () => {
  assert.throws(() => Designer.build(($) => $.decodeHTTPRequest({ nope: 1 } as never), 'u', 'u'), (e: unknown) => e instanceof ConfigError && /unknown option 'nope'/.test((e as Error).message));
  assert.throws(() => Designer.build(($) => $.encodeHTTPResponse({ bufferSize: 'lots' }), 'u', 'u'), (e: unknown) => e instanceof ConfigError && /bufferSize/.test((e as Error).message));
  assert.throws(() => Designer.build(($) => $.decodeHTTPResponse({ method: 'HEAD' as never }), 'u', 'u'), (e: unknown) => e instanceof ConfigError);
  assert.throws(() => Designer.build(($) => $.connectHTTPTunnel('no port').to(($) => $.dump()), 'u', 'u'), (e: unknown) => e instanceof ConfigError && /host:port/.test((e as Error).message));
  assert.throws(() => Designer.build(($) => $.acceptHTTPTunnel('x' as never).to(($) => $.dump()), 'u', 'u'), (e: unknown) => e instanceof ConfigError);
  assert.throws(() => Designer.build(($) => $.acceptHTTPTunnel(() => null as never), 'u', 'u'), (e: unknown) => e instanceof ConfigError && /sub-pipeline/.test((e as Error).message));
});

test.run();
