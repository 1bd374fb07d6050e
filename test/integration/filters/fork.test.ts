// fork over real sockets: every request is mirrored to a second upstream while the client gets
// the primary's answer only, undelayed by a slow mirror.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { startUpstream } from '../../helpers/sluice.ts';
import { serve, until } from '../../helpers/http.ts';

function request(port: number, method: string, path: string, body: string, agent: http.Agent | false = false): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
      let b = '';
      res.on('data', (x) => (b += x));
      res.on('end', () => resolve({ status: res.statusCode!, body: b, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('fork: requests are mirrored to a second upstream; the client sees only the primary', async () => {
  const primary = await startUpstream((req, res, body) => res.end(`primary ${req.method} ${req.url} ${body}`));
  const mirror = await startUpstream((_req, res) => setTimeout(() => res.end('mirror'), 400));
  const srv = await serve(($) =>
    $.demuxHTTP().to(($) =>
      $.fork()
        .to(($) => $.muxHTTP().to(($) => $.connect(`127.0.0.1:${mirror.port}`)))
        .muxHTTP()
        .to(($) => $.connect(`127.0.0.1:${primary.port}`)),
    ),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const a = await request(srv.port, 'POST', '/a', 'one', agent);
    const b = await request(srv.port, 'GET', '/b?x=1', '', agent);
    assert.is(a.body, 'primary POST /a one');
    assert.is(b.body, 'primary GET /b?x=1 ');
    assert.ok(a.ms < 300, `the slow mirror did not delay the answer (${a.ms.toFixed(0)} ms)`);
    await until(() => mirror.seen.length === 2, 2000, 'mirrored requests');
    assert.equal(mirror.seen.map((s) => `${s.method} ${s.url} ${s.body}`), ['POST /a one', 'GET /b?x=1 ']);
    assert.equal(primary.seen.map((s) => `${s.method} ${s.url}`), ['POST /a', 'GET /b?x=1']);
  } finally {
    agent.destroy();
    await srv.close();
    await primary.close();
    await mirror.close();
  }
});

test('fork: a mirror that is down does not affect the client', async () => {
  const primary = await startUpstream((_req, res) => res.end('ok'));
  const dead = await startUpstream();
  const deadPort = dead.port;
  await dead.close();
  const srv = await serve(($) =>
    $.demuxHTTP().to(($) =>
      $.fork()
        .to(($) => $.muxHTTP().to(($) => $.connect(`127.0.0.1:${deadPort}`)))
        .muxHTTP()
        .to(($) => $.connect(`127.0.0.1:${primary.port}`)),
    ),
  );
  try {
    for (let i = 0; i < 3; i++) {
      const r = await request(srv.port, 'GET', `/${i}`, '');
      assert.is(r.status, 200);
      assert.is(r.body, 'ok');
    }
  } finally {
    await srv.close();
    await primary.close();
  }
});

test.run();
