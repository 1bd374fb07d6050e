// Idle timeouts (runtime/net/idle.ts): one sweeping interval instead of socket.setTimeout, so
// reads and writes only store a coarse clock. A timeout must still close an idle connection,
// never one that keeps talking, and never early.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { serve, sleep, until } from '../../helpers/http.ts';
import { StreamEnd } from '../../../runtime/engine/event.ts';

function connectTo(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('listener idleTimeout closes a silent connection, not before the timeout', async () => {
  const srv = await serve(($) => $.handleData(() => {}), { idleTimeout: 0.3 });
  try {
    const s = await connectTo(srv.port);
    const t0 = Date.now();
    let closedAt = 0;
    s.on('close', () => (closedAt = Date.now()));
    s.on('error', () => {});
    await until(() => closedAt > 0, 3000, 'the idle connection to close');
    const after = closedAt - t0;
    assert.ok(after >= 290, `closed after ${after} ms, before the 300 ms timeout`);
    assert.ok(after < 1500, `closed only after ${after} ms`);
  } finally {
    await srv.close();
  }
});

test('listener idleTimeout spares a connection that keeps sending', async () => {
  const srv = await serve(($) => $.handleData(() => {}), { idleTimeout: 0.3 });
  try {
    const s = await connectTo(srv.port);
    let closed = false;
    s.on('close', () => (closed = true));
    s.on('error', () => {});
    for (let i = 0; i < 12; i++) {
      s.write('x');
      await sleep(100);
    }
    assert.not.ok(closed, 'an active connection was closed as idle');
    s.destroy();
  } finally {
    await srv.close();
  }
});

test('connect idleTimeout ends a silent upstream with IdleTimeout', async () => {
  const up = net.createServer(() => {}); // accepts, never answers
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  const port = (up.address() as net.AddressInfo).port;
  let ended: StreamEnd | null = null;
  const srv = await serve(($) =>
    $.connect(`127.0.0.1:${port}`, { idleTimeout: 0.3 }).handleStreamEnd((evt) => {
      ended = evt;
    }),
  );
  try {
    const s = await connectTo(srv.port);
    s.on('error', () => {});
    const t0 = Date.now();
    s.write('hello');
    await until(() => ended !== null, 3000, 'the upstream idle timeout');
    const after = Date.now() - t0;
    assert.is(ended!.error, 'IdleTimeout');
    assert.ok(after >= 290, `IdleTimeout after ${after} ms`);
    s.destroy();
  } finally {
    await srv.close();
    up.close();
  }
});

test.run();
