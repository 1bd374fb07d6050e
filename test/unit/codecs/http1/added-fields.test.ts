// A decoded head whose `headers` a script read and only added to (a routing hook) is written
// from its received bytes plus the added lines; any other change takes the string path.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequestDecoder, createResponseDecoder } from '../../../../runtime/codecs/http1/decoder.ts';
import { createRequestEncoder, createResponseEncoder } from '../../../../runtime/codecs/http1/encoder.ts';
import type { RequestHead, ResponseHead } from '../../../../runtime/codecs/http1/head.ts';

const REQ = 'GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept: */*\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n';
const RES = 'HTTP/1.1 200 OK\r\nServer: up\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok';

function decodeRequest(s: string): RequestHead {
  let head: RequestHead | null = null;
  const dec = createRequestDecoder({ onHead: (h) => (head = h), onBody() {}, onEnd() {}, onError: (st, r) => { throw new Error(`${st} ${r}`); }, onTunnel() {} });
  dec.write(Buffer.from(s, 'latin1'));
  return head!;
}

function decodeResponse(s: string): ResponseHead {
  let head: ResponseHead | null = null;
  const dec = createResponseDecoder({ onHead: (h) => (head = h), onBody() {}, onEnd() {}, onError: (st, r) => { throw new Error(`${st} ${r}`); }, onTunnel() {} });
  dec.expect('GET');
  dec.write(Buffer.from(s, 'latin1'));
  return head!;
}

function encodeRequest(head: RequestHead | object): string {
  const outs: Buffer[] = [];
  const enc = createRequestEncoder((x) => outs.push(x));
  enc.start(head as RequestHead, 0);
  enc.end(null);
  return Buffer.concat(outs).toString('latin1');
}

function encodeResponse(head: ResponseHead | object, body: string): string {
  const outs: Buffer[] = [];
  const enc = createResponseEncoder((x) => outs.push(x));
  enc.start(head as ResponseHead, body.length, 'GET', true);
  enc.body(Buffer.from(body));
  enc.end(null);
  return Buffer.concat(outs).toString('latin1');
}

test('request: an added field goes after the received lines, which keep their bytes', () => {
  const h = decodeRequest(REQ);
  h.headers['x-route'] = 'api';
  assert.is(encodeRequest(h), 'GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept: */*\r\nX-Dup: 1\r\nX-Dup: 2\r\nx-route: api\r\n\r\n');
});

test('request: reading headers without changing them writes the received bytes', () => {
  const h = decodeRequest(REQ);
  assert.is(h.headers['user-agent'], 't/1');
  assert.is(encodeRequest(h), REQ);
});

test('request: a changed, removed or re-added field takes the string path', () => {
  const changed = decodeRequest(REQ);
  changed.headers['accept'] = 'text/html';
  assert.ok(encodeRequest(changed).includes('accept: text/html\r\n'));
  assert.not.ok(encodeRequest(changed).includes('*/*'));

  const removed = decodeRequest(REQ);
  delete removed.headers['user-agent'];
  assert.not.ok(encodeRequest(removed).toLowerCase().includes('user-agent'));

  const moved = decodeRequest(REQ);
  const ua = moved.headers['user-agent']!;
  delete moved.headers['user-agent'];
  moved.headers['user-agent'] = ua;
  const text = encodeRequest(moved);
  assert.ok(text.indexOf('user-agent') > text.indexOf('accept'), 're-added field comes last');
});

test('request: added hop-by-hop or framing fields are decided as before', () => {
  const h = decodeRequest(REQ);
  h.headers['connection'] = 'close';
  h.headers['transfer-encoding'] = 'chunked';
  const text = encodeRequest(h);
  assert.not.ok(text.includes('transfer-encoding'), 'framing is the encoder\'s');
  assert.not.ok(/\r\nconnection: close\r\n/.test(text), 'hop-by-hop fields of the previous hop never pass');
  const bad = decodeRequest(REQ);
  bad.headers['x-bad'] = 'a\r\nb';
  assert.throws(() => encodeRequest(bad), /invalid/);
});

test('response: Set-Cookie lines and bytes kept, hop-by-hop dropped, the added field and framing after', () => {
  const h = decodeResponse(RES);
  h.headers['x-served-by'] = 'sluice';
  assert.is(
    encodeResponse(h, 'ok'),
    'HTTP/1.1 200 OK\r\nServer: up\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nx-served-by: sluice\r\ncontent-length: 2\r\n\r\nok',
  );
});

test('response: the same fields as the string path would write, ignoring name case', () => {
  const h = decodeResponse(RES);
  h.headers['x-a'] = '1';
  const plain = { status: 200, headers: { ...h.headers } };
  const norm = (s: string) => s.split('\r\n').map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase())).join('\r\n');
  assert.is(norm(encodeResponse(h, 'ok')), norm(encodeResponse(plain, 'ok')));
});

test.run();
