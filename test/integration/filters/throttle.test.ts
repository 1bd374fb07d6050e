// throttle* over real loopback sockets: a message-rate quota spaces requests out at the
// upstream, a concurrency quota caps requests in flight, a data-rate quota slows a byte stream;
// and the same through the real CLI with `import { Quota } from 'sluice'`.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { Quota } from '../../../runtime/algo/quota.ts';
import { startUpstream } from '../../helpers/sluice.ts';
import { serve, serveScript } from '../../helpers/http.ts';

function get(port: number, path: string, agent: http.Agent): Promise<{ status: number; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (b) => (body += b));
      res.on('end', () => resolve({ status: res.statusCode!, body, at: performance.now() }));
    });
    req.on('error', reject);
  });
}

test('throttleMessageRate behind demuxHTTP: 8 requests at 1 per 50 ms reach the upstream spaced out', async () => {
  const times: number[] = [];
  const up = await startUpstream((_req, res) => {
    times.push(performance.now());
    res.end('ok');
  });
  const quota = new Quota(1, { per: 50, produce: 1 });
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.throttleMessageRate(quota).muxHTTP().to(($) => $.connect(`127.0.0.1:${up.port}`))));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => get(srv.port, `/r${i}`, agent)));
    const dt = performance.now() - t0;
    assert.ok(rs.every((r) => r.status === 200));
    const rps = 8 / (dt / 1000);
    assert.ok(dt >= 300, `8 requests took ${dt.toFixed(0)} ms (${rps.toFixed(1)} rps); a 20 rps limit needs >= 300`);
    assert.ok(rps <= 24, `measured ${rps.toFixed(1)} rps`);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(gaps.filter((g) => g < 30).length <= 1, `gaps at the upstream: ${gaps.map((g) => g.toFixed(0))}`);
  } finally {
    agent.destroy();
    await srv.close();
    await up.close();
  }
});

test('throttleConcurrency behind demuxHTTP: at most 2 requests in flight upstream', async () => {
  let inFlight = 0;
  let most = 0;
  const up = await startUpstream((_req, res) => {
    inFlight++;
    most = Math.max(most, inFlight);
    setTimeout(() => {
      inFlight--;
      res.end('ok');
    }, 40);
  });
  const quota = new Quota(2, { per: 1000, produce: 0 });
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.throttleConcurrency(quota).muxHTTP().to(($) => $.connect(`127.0.0.1:${up.port}`))));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  try {
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => get(srv.port, `/c${i}`, agent)));
    assert.ok(rs.every((r) => r.status === 200));
    assert.is(most, 2, `most in flight: ${most}`);
    assert.is(up.seen.length, 6);
    assert.is(quota.available, 2, 'tokens all given back');
  } finally {
    agent.destroy();
    await srv.close();
    await up.close();
  }
});

test('throttleDataRate: 6000 bytes at 2000 per 100 ms take about 200 ms to echo', async () => {
  const quota = new Quota(2000, { per: 100, produce: 2000 });
  const srv = await serve(($) => $.throttleDataRate(quota));
  try {
    const s = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    let got = 0;
    const t0 = performance.now();
    const done = new Promise<number>((resolve) =>
      s.on('data', (b) => {
        got += b.length;
        if (got >= 6000) resolve(performance.now() - t0);
      }),
    );
    s.write(Buffer.alloc(6000, 'x'));
    const dt = await done;
    s.destroy();
    assert.ok(dt >= 180 && dt < 1500, `took ${dt.toFixed(0)} ms`);
  } finally {
    await srv.close();
  }
});

test('throttleMessageRate through the CLI (import { Quota } from "sluice")', async () => {
  const up = await startUpstream();
  const r = await serveScript(
    `import { pipy, Quota } from 'sluice';\n` +
      `const q = new Quota(1, { per: 100, produce: 1 });\n` +
      `pipy.listen(0, ($) => $.demuxHTTP().to(($) => $.throttleMessageRate(q).muxHTTP().to(($) => $.connect('127.0.0.1:${up.port}'))));\n`,
    ['--admin-port=-1'],
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: 4 }, (_, i) => get(r.port, `/x${i}`, agent)));
    const dt = performance.now() - t0;
    assert.ok(rs.every((x) => x.status === 200));
    // One token now, then one per 100 ms; the first refill may come early (the period runs from
    // load time), so 3 waits take at least 200 ms. Unthrottled this is a few ms.
    assert.ok(dt >= 190, `4 requests at 10 rps took ${dt.toFixed(0)} ms`);
  } finally {
    agent.destroy();
    await r.stop();
    await up.close();
  }
});

test.run();
