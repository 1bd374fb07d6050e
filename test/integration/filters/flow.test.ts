// wait, insert, onStart and onEnd over real sockets: a request held until a condition flips
// elsewhere, a banner a server speaks first, a prefix inserted into a stream, onEnd once per
// connection.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { Data, Message } from '../../../runtime/engine/event.ts';
import { serve, sleep, until, RawClient } from '../../helpers/http.ts';

function get(port: number, path: string): Promise<{ status: number; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let b = '';
      res.on('data', (x) => (b += x));
      res.on('end', () => resolve({ status: res.statusCode!, body: b, at: performance.now() }));
    }).on('error', reject);
  });
}

test('wait: requests are held until a condition flips, then answered', async () => {
  let open = false;
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.wait(() => open, { interval: '10ms' }).replaceMessage((m: Message<any>) => new Message({ status: 200 }, `hi ${m.head.path}`))));
  try {
    const pending = get(srv.port, '/w');
    let done = false;
    void pending.then(() => (done = true));
    await sleep(150);
    assert.not.ok(done, 'held while closed');
    const flipped = performance.now();
    open = true;
    const r = await pending;
    assert.is(r.body, 'hi /w');
    assert.ok(r.at - flipped < 250, `answered ${(r.at - flipped).toFixed(0)} ms after the flip`);
    const again = await get(srv.port, '/x');
    assert.is(again.body, 'hi /x');
  } finally {
    await srv.close();
  }
});

test('wait: timeout lets a held request through', async () => {
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.wait(() => false, { timeout: '80ms' }).replaceMessage(() => new Message('late'))));
  try {
    const t0 = performance.now();
    const r = await get(srv.port, '/t');
    assert.is(r.body, 'late');
    assert.ok(r.at - t0 >= 70, `answered after ${(r.at - t0).toFixed(0)} ms`);
  } finally {
    await srv.close();
  }
});

test('onStart/onEnd: a banner before the client says anything; onEnd once per connection', async () => {
  const ends: number[] = [];
  let n = 0;
  const srv = await serve<{ id: number }>(
    ($) => $.onStart((ctx) => new Data(`220 hello #${(ctx.id = ++n)}\r\n`)).onEnd((ctx) => ends.push(ctx.id)),
    { context: () => ({ id: 0 }) },
  );
  try {
    const a = await RawClient.connect(srv.port);
    await until(() => a.received.length > 0, 2000, 'banner');
    assert.is(a.received.toString(), '220 hello #1\r\n');
    a.write('echo me');
    await until(() => a.received.toString().endsWith('echo me'), 2000, 'echo');
    const b = await RawClient.connect(srv.port);
    await until(() => b.received.length > 0, 2000, 'banner 2');
    assert.is(b.received.toString(), '220 hello #2\r\n');
    assert.equal(ends, []);
    a.destroy();
    await until(() => ends.length === 1, 2000, 'onEnd of a');
    b.socket.end();
    await until(() => ends.length === 2, 2000, 'onEnd of b');
    await sleep(30);
    assert.equal(ends, [1, 2]);
  } finally {
    await srv.close();
  }
});

test('insert: a prefix goes out ahead of the echoed bytes, once per connection', async () => {
  const srv = await serve(($) => $.insert(() => new Data('prefix:')));
  try {
    const c = await RawClient.connect(srv.port);
    c.write('abc');
    await until(() => c.received.toString() === 'prefix:abc', 2000, 'echo');
    c.write('def');
    await until(() => c.received.toString() === 'prefix:abcdef', 2000, 'more');
    c.destroy();
  } finally {
    await srv.close();
  }
});

void net;
test.run();
