// detectProtocol over real sockets: HTTP, TLS and anything else are told apart from the first
// bytes (even when they arrive one at a time), the callback runs once, and the bytes reach
// the next filter unchanged, after the verdict.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tls from 'node:tls';
import { Data, Message } from '../../../runtime/engine/event.ts';
import { RawClient, serve, sleep, until } from '../../helpers/http.ts';

type Ctx = { proto: string | null };

async function detector() {
  const calls: string[] = [];
  const srv = await serve<Ctx>(
    ($) =>
      $.detectProtocol((p, ctx) => {
        calls.push(p);
        ctx.proto = p;
      }).branch(
        (ctx: Ctx) => ctx.proto === 'HTTP',
        ($) => $.serveHTTP(new Message('http\n')),
        (ctx: Ctx) => ctx.proto === 'TLS',
        ($) => $.replaceData(() => new Data('tls\n')),
        ($) => $.replaceData((d: Data) => new Data(`other:${d.toString('latin1')}\n`)),
      ),
    { context: () => ({ proto: null }) },
  );
  return { srv, calls };
}

async function exchange(port: number, pieces: (string | Buffer)[], until_: (b: Buffer) => boolean): Promise<Buffer> {
  const c = await RawClient.connect(port);
  c.socket.setNoDelay(true);
  try {
    for (const p of pieces) {
      c.write(p);
      await sleep(5);
    }
    await until(() => until_(c.received), 3000, 'a reply');
    return c.received;
  } finally {
    c.destroy();
  }
}

test('HTTP: a request is routed to the HTTP branch', async () => {
  const { srv, calls } = await detector();
  try {
    const r = await exchange(srv.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n'], (b) => b.includes('http\n'));
    assert.ok(r.toString().startsWith('HTTP/1.1 200'));
    assert.equal(calls, ['HTTP']);
  } finally {
    await srv.close();
  }
});

test('HTTP: the method arriving one byte at a time is held until the space, then passed whole', async () => {
  const { srv, calls } = await detector();
  try {
    const r = await exchange(srv.port, ['P', 'O', 'S', 'T', ' /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'], (b) => b.includes('http\n'));
    assert.ok(r.toString().startsWith('HTTP/1.1 200'));
    assert.equal(calls, ['HTTP']);
  } finally {
    await srv.close();
  }
});

test("HTTP/2 prior knowledge preface ('PRI * HTTP/2.0') counts as HTTP", async () => {
  const { srv, calls } = await detector();
  try {
    const c = await RawClient.connect(srv.port);
    c.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    await until(() => calls.length === 1, 3000, 'the callback');
    c.destroy();
    assert.equal(calls, ['HTTP']);
  } finally {
    await srv.close();
  }
});

test('TLS: a real ClientHello is recognised', async () => {
  const { srv, calls } = await detector();
  try {
    const sock = tls.connect({ host: '127.0.0.1', port: srv.port, rejectUnauthorized: false });
    sock.on('error', () => {});
    await until(() => calls.length === 1, 3000, 'the callback');
    sock.destroy();
    assert.equal(calls, ['TLS']);
  } finally {
    await srv.close();
  }
});

test('TLS: record header split across reads', async () => {
  const { srv, calls } = await detector();
  try {
    const r = await exchange(srv.port, [Buffer.from([0x16]), Buffer.from([0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])], (b) => b.toString() === 'tls\ntls\n');
    assert.is(r.toString(), 'tls\ntls\n', 'both reads passed on as their own events, after the verdict');
    assert.equal(calls, ['TLS']);
  } finally {
    await srv.close();
  }
});

test('other: SSH banner and binary go to the default branch with bytes unchanged', async () => {
  const { srv, calls } = await detector();
  try {
    const r = await exchange(srv.port, ['SSH-2.0-OpenSSH_9.6\r\n'], (b) => b.includes('\n'));
    assert.is(r.toString(), 'other:SSH-2.0-OpenSSH_9.6\r\n\n');
    const r2 = await exchange(srv.port, [Buffer.from([0x16, 0x17, 0x18])], (b) => b.includes('\n'));
    assert.equal([...r2.subarray(6, 9)], [0x16, 0x17, 0x18]);
    assert.equal(calls, ['', '']);
  } finally {
    await srv.close();
  }
});

test('other: a token longer than the 16-byte window without a space', async () => {
  const { srv, calls } = await detector();
  try {
    const r = await exchange(srv.port, ['ABCDEFGHIJKLMNOPQRSTUVWXYZ'], (b) => b.includes('\n'));
    assert.is(r.toString(), 'other:ABCDEFGHIJKLMNOPQRSTUVWXYZ\n');
    assert.equal(calls, ['']);
  } finally {
    await srv.close();
  }
});

test("a stream that ends before a verdict gets '' once", async () => {
  const { srv, calls } = await detector();
  try {
    const c = await RawClient.connect(srv.port);
    c.write('GE');
    await sleep(20);
    assert.equal(calls, [], 'no verdict yet');
    c.socket.end();
    await until(() => calls.length === 1, 3000, 'the callback');
    await c.waitClosed();
    c.destroy();
    assert.equal(calls, ['']);
  } finally {
    await srv.close();
  }
});

test.run();
