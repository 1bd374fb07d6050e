// Accepted connections read through the shared read buffer (runtime/net/accept.ts): bytes
// arrive intact and in order whatever the read sizes, no 'data' listener is involved, the
// listener's maxConnections and the server's connection count still hold.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { Designer } from '../../../runtime/api/designer.ts';
import { Listener, parseListen } from '../../../runtime/net/listener.ts';
import type { InboundInfo } from '../../../runtime/net/inbound.ts';
import { serve, sleep, until } from '../../helpers/http.ts';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('accepted sockets: 8 MiB echoed byte-exact in uneven writes, with no data listener', async () => {
  const sockets: net.Socket[] = [];
  const srv = await serve<{ inbound?: InboundInfo }>(($) =>
    $.onStart((ctx) => {
      sockets.push(ctx.inbound!.socket!);
    }),
  );
  try {
    const c = await connect(srv.port);
    const payload = randomBytes(8 << 20);
    const got: Buffer[] = [];
    let n = 0;
    c.on('data', (b) => {
      got.push(b);
      n += b.length;
    });
    for (let off = 0, i = 0; off < payload.length; i++) {
      const len = Math.min(payload.length - off, 1 + ((i * 7919) % 200_000));
      c.write(payload.subarray(off, off + len));
      off += len;
    }
    await until(() => n >= payload.length, 20_000, 'echo');
    const echoed = Buffer.concat(got);
    assert.is(echoed.length, payload.length);
    assert.is(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(payload).digest('hex'));
    assert.is(sockets.length, 1);
    assert.is(sockets[0]!.listenerCount('data'), 0, 'reads go through onread, not data events');
    c.destroy();
  } finally {
    await srv.close();
  }
});

test('accepted sockets: maxConnections refuses the extra connection and admits one when a slot frees', async () => {
  const layout = Designer.build(($) => $.onStart(() => undefined), 'test', 'test');
  const l = new Listener(parseListen('127.0.0.1:0', { maxConnections: 2 }), layout);
  await l.start();
  try {
    const a = await connect(l.port);
    const b = await connect(l.port);
    await until(() => l.openConnections === 2, 2000, 'two accepted');
    const c = await connect(l.port);
    const closed = await new Promise<boolean>((resolve) => {
      c.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2000);
    });
    assert.ok(closed, 'the third connection is closed by the server');
    assert.is(l.openConnections, 2);
    a.destroy();
    await until(() => l.openConnections === 1, 2000, 'slot freed');
    const d = await connect(l.port);
    await sleep(100);
    assert.not.ok(d.destroyed, 'a new connection is admitted once a slot is free');
    await until(() => l.openConnections === 2, 2000, 'admitted');
    const count = await new Promise<number>((resolve, reject) => l.server!.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    assert.is(count, 2, "the server's own connection count follows");
    b.destroy();
    d.destroy();
  } finally {
    await l.drain(0);
  }
});

test.run();
