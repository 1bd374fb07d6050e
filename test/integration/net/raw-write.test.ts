// Raw socket writes (runtime/net/raw-write.ts): in use on this Node, and no byte lost when
// writes stay in flight behind a slow reader and the stream then ends.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { rawWritesAvailable, rawWritesInFlight } from '../../../runtime/net/raw-write.ts';
import { serve, until } from '../../helpers/http.ts';

test('raw writes are available on this Node (else every write takes the slower Writable path)', () => {
  assert.ok(rawWritesAvailable, `Node ${process.version}: stream_wrap/tcp_wrap bindings not usable`);
});

test('16 MiB through connect to a slow reader, then a half-close: every byte arrives, in order', async () => {
  const got: Buffer[] = [];
  let ended = false;
  let sawInFlight = false;
  const upstream = net.createServer({ allowHalfOpen: true }, (s) => {
    // Reads in bursts with pauses, so the proxy's writes to it fill the kernel buffer.
    const tick = setInterval(() => {
      s.resume();
      setTimeout(() => s.pause(), 2);
    }, 10);
    s.on('data', (b) => got.push(b));
    s.on('end', () => {
      clearInterval(tick);
      ended = true;
      s.end();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as net.AddressInfo).port;
  const srv = await serve(($) => $.connect(`127.0.0.1:${port}`));
  try {
    const payload = randomBytes(16 << 20);
    const c = net.connect(srv.port, '127.0.0.1');
    c.on('data', () => undefined);
    c.end(payload);
    const probe = setInterval(() => {
      if (rawWritesInFlight() > 0) sawInFlight = true;
    }, 1);
    await until(() => ended, 30_000, 'upstream end');
    clearInterval(probe);
    const all = Buffer.concat(got);
    assert.is(all.length, payload.length);
    assert.is(createHash('sha256').update(all).digest('hex'), createHash('sha256').update(payload).digest('hex'));
    assert.ok(sawInFlight, 'some raw write had to wait for the slow reader');
    c.destroy();
  } finally {
    await srv.close();
    upstream.close();
  }
});

test.run();
