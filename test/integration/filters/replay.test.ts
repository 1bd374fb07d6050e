// replay over real sockets: a request to an upstream that fails the first time(s) is replayed
// (same method, path and body) until it succeeds, the client sees only the success; and a
// limit kept in the context stops the retries.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { StreamEnd, type Message } from '../../../runtime/engine/event.ts';
import { startUpstream } from '../../helpers/sluice.ts';
import { serve } from '../../helpers/http.ts';

function post(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'text/plain' } }, (res) => {
      let b = '';
      res.on('data', (x) => (b += x));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Ctx = { tries: number };

function retrying(port: number, max: number) {
  return serve<Ctx>(
    ($) =>
      $.demuxHTTP().to(($) =>
        $.replay({ delay: '10ms' }).to(($) =>
          $.muxHTTP()
            .to(($) => $.connect(`127.0.0.1:${port}`))
            .replaceMessage((m: Message<any>, ctx) => (m.head.status >= 500 && ++ctx.tries < max ? new StreamEnd('Replay') : m)),
        ),
      ),
    { context: () => ({ tries: 0 }) },
  );
}

test('replay: a request failing the first time is replayed and succeeds', async () => {
  let n = 0;
  const up = await startUpstream((req, res, body) => {
    res.statusCode = ++n === 1 ? 503 : 200;
    res.end(`${res.statusCode} ${req.url} ${body}`);
  });
  const srv = await retrying(up.port, 5);
  try {
    const r = await post(srv.port, '/pay', 'amount=5');
    assert.is(r.status, 200);
    assert.is(r.body, '200 /pay amount=5');
    assert.is(up.seen.length, 2);
    assert.equal(up.seen.map((s) => `${s.method} ${s.url} ${s.body}`), ['POST /pay amount=5', 'POST /pay amount=5']);
  } finally {
    await srv.close();
    await up.close();
  }
});

test('replay: the limit counted in the context ends the retries with the last answer', async () => {
  const up = await startUpstream((_req, res) => {
    res.statusCode = 502;
    res.end('down');
  });
  const srv = await retrying(up.port, 3);
  try {
    const r = await post(srv.port, '/x', 'b');
    assert.is(r.status, 502);
    assert.is(r.body, 'down');
    assert.is(up.seen.length, 3);
  } finally {
    await srv.close();
    await up.close();
  }
});

test('replay: keep-alive connection stays usable across replayed requests', async () => {
  let n = 0;
  const up = await startUpstream((req, res) => {
    res.statusCode = ++n % 2 === 1 ? 500 : 200;
    res.end(`${req.url}`);
  });
  const srv = await retrying(up.port, 5);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: srv.port, path: `/k${i}`, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        }).on('error', reject);
      });
      assert.is(status, 200);
    }
    assert.is(up.seen.length, 6);
  } finally {
    agent.destroy();
    await srv.close();
    await up.close();
  }
});

test.run();
