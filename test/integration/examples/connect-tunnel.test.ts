// examples/connect-tunnel.ts: CONNECT host:port, then raw bytes both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { fixedUpstream, isolateNetwork, runExample } from '../../helpers/examples.ts';
import type { Running, Upstream } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;
let up: Upstream;

test.before(async () => {
  up = await fixedUpstream(8080);
  sluice = await runExample('connect-tunnel.ts', [8000]);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

/** A raw client: write, and read until `done(text)` says so or the peer closes. */
function talk(sock: net.Socket, send: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer) => {
      text += b.toString();
      if (done(text)) finish();
    };
    const finish = () => {
      sock.off('data', onData);
      sock.off('close', finish);
      resolve(text);
    };
    sock.on('data', onData);
    sock.once('close', finish);
    sock.once('error', reject);
    sock.write(send);
  });
}

async function open(): Promise<net.Socket> {
  const sock = net.connect(8000, '127.0.0.1');
  await new Promise((r, j) => sock.once('connect', r).once('error', j));
  return sock;
}

test('connect tunnel: CONNECT opens a tunnel and HTTP flows through it to the target', async () => {
  const sock = await open();
  try {
    const head = await talk(sock, 'CONNECT 127.0.0.1:8080 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n', (t) => t.includes('\r\n\r\n'));
    assert.match(head, /^HTTP\/1\.1 200 /);
    // Now the socket is a pipe to the upstream: speak HTTP to it directly, twice.
    for (const path of ['/first', '/second']) {
      const res = await talk(sock, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n`, (t) => t.includes(`GET ${path}\n`));
      assert.match(res, /^HTTP\/1\.1 200 OK/);
      assert.ok(res.endsWith(`upstream 8080: GET ${path}\n`), res);
    }
    assert.equal(up.seen.slice(-2).map((s) => s.url), ['/first', '/second']);
  } finally {
    sock.destroy();
  }
});

test('connect tunnel: bytes sent right after the CONNECT head are not lost', async () => {
  const sock = await open();
  try {
    const res = await talk(
      sock,
      'CONNECT 127.0.0.1:8080 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\nGET /eager HTTP/1.1\r\nHost: x\r\n\r\n',
      (t) => t.includes('GET /eager\n'),
    );
    assert.match(res, /^HTTP\/1\.1 200 /);
    assert.ok(res.endsWith('upstream 8080: GET /eager\n'), res);
  } finally {
    sock.destroy();
  }
});

test('connect tunnel: a port off the allow list is 403, a non-CONNECT is 405, both close', async () => {
  const before = up.seen.length;
  let sock = await open();
  let res = await talk(sock, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', () => false);
  assert.match(res, /^HTTP\/1\.1 403 /);
  assert.match(res, /Port 22 is not allowed/);
  assert.ok(sock.destroyed || sock.readableEnded, 'closed after the refusal');
  sock.destroy();

  sock = await open();
  res = await talk(sock, 'GET http://127.0.0.1:8080/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n', () => false);
  assert.match(res, /^HTTP\/1\.1 405 /);
  assert.match(res, /allow: CONNECT/i);
  sock.destroy();
  assert.is(up.seen.length, before);
});

test.run();
