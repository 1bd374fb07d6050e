// Large bodies through demuxHTTP + muxHTTP + connect in a real Sluice process: 200 MB up and
// 200 MB down, streamed (sha256 compared end to end) without the proxy holding the body: its
// RSS (from /status, sampled throughout) must grow by less than half the body.
//
// Why 200 MB: every read is copied out into a Buffer of its own, and V8 frees a dead Buffer's
// memory only at a GC. A relay allocates little on the JS heap per 64 KB read, so no scavenge
// comes during the transfer and V8 collects when the Buffers' external memory has grown by
// tens of MB (its external-memory limit): 14-31 MB of growth for a 50 MB body, depending on
// what the last GC left. A proxy that held the body would grow by all of it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { startUpstream, type Upstream } from '../../helpers/sluice.ts';
import { RawClient, metric, serveScript, rss } from '../../helpers/http.ts';
import { CHUNK, MB, expectedHash, sampleRss, writeChunks } from '../../helpers/bulk.ts';
import type { Running } from '../../helpers/sluice.ts';

const BODY = 200 * MB;
const N = BODY / CHUNK; // in 64 KB chunks
const LIMIT = BODY / 2;
const WANT = expectedHash(N);

let up: Upstream;
let proxy: Running & { port: number };

test.before(async () => {
  up = await startUpstream();
  // Replace the default handler: stream both ways without buffering in the test either.
  up.server.removeAllListeners('request');
  up.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/upload') {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (b: Buffer) => (h.update(b), (n += b.length)));
      req.on('end', () => res.end(`${n} ${h.digest('hex')}`));
    } else if (req.url === '/download' || req.url === '/download-chunked') {
      if (req.url === '/download') res.setHeader('content-length', N * CHUNK);
      void writeChunks(res, N, { written: 0, stalls: 0 }).catch(() => {});
    } else res.end('?');
  });
  proxy = await serveScript(`
import { pipy } from 'sluice';
pipy.listen('127.0.0.1:0', ($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect('127.0.0.1:${up.port}'))));
`, ['--admin-port=0']);
  // Warm up (JIT, allocator arenas, socket buffers) so that growth measured later is the body's.
  await request({ path: '/download' });
  await request({ method: 'POST', path: '/upload' }, (req) => writeChunks(req, N / 4, { written: 0, stalls: 0 }));
});

test.after(async () => {
  await proxy?.stop('SIGKILL');
  await up?.close();
});

function request(opts: http.RequestOptions, body?: (req: http.ClientRequest) => Promise<void>): Promise<{ status: number; hash: string; size: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxy.port, ...opts }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      const first: Buffer[] = [];
      res.on('data', (b: Buffer) => {
        h.update(b);
        size += b.length;
        if (first.length < 4) first.push(b);
      });
      res.on('end', () => resolve({ status: res.statusCode!, hash: h.digest('hex'), size, text: Buffer.concat(first).toString().slice(0, 200) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) body(req).catch(reject);
    else req.end();
  });
}

test('200 MB download (content-length): same bytes, proxy RSS grows by less than half of it', async () => {
  const base = await rss(proxy.adminPort);
  const s = sampleRss(proxy.adminPort);
  const r = await request({ path: '/download' });
  await s.stop();
  assert.is(r.status, 200);
  assert.is(r.size, N * CHUNK);
  assert.is(r.hash, WANT);
  console.log(`  download: base RSS ${(base / MB).toFixed(0)} MB, peak ${(s.max / MB).toFixed(0)} MB over ${s.samples} samples`);
  assert.ok(s.samples >= 3, 'RSS was sampled during the transfer');
  assert.ok(s.max - base < LIMIT, `RSS grew by ${((s.max - base) / MB).toFixed(1)} MB`);
});

test('200 MB chunked download relayed chunked: same bytes, RSS bounded', async () => {
  const base = await rss(proxy.adminPort);
  const s = sampleRss(proxy.adminPort);
  const r = await request({ path: '/download-chunked' });
  await s.stop();
  assert.is(r.hash, WANT);
  assert.ok(s.max - base < LIMIT, `RSS grew by ${((s.max - base) / MB).toFixed(1)} MB`);
});

test('200 MB chunked upload: the upstream gets the same bytes, RSS bounded', async () => {
  const base = await rss(proxy.adminPort);
  const s = sampleRss(proxy.adminPort);
  const r = await request({ method: 'POST', path: '/upload' }, (req) => writeChunks(req, N, { written: 0, stalls: 0 }));
  await s.stop();
  assert.is(r.status, 200);
  assert.is(r.text, `${N * CHUNK} ${WANT}`);
  console.log(`  upload: base RSS ${(base / MB).toFixed(0)} MB, peak ${(s.max / MB).toFixed(0)} MB`);
  assert.ok(s.max - base < LIMIT, `RSS grew by ${((s.max - base) / MB).toFixed(1)} MB`);
});

test('200 MB upload with content-length', async () => {
  const base = await rss(proxy.adminPort);
  const s = sampleRss(proxy.adminPort);
  const r = await request({ method: 'PUT', path: '/upload', headers: { 'content-length': N * CHUNK } }, (req) => writeChunks(req, N, { written: 0, stalls: 0 }));
  await s.stop();
  assert.is(r.text, `${N * CHUNK} ${WANT}`);
  assert.ok(s.max - base < LIMIT, `RSS grew by ${((s.max - base) / MB).toFixed(1)} MB`);
});

test('pooling seen from /metrics: 10 sequential requests on one client connection, 1 upstream connect', async () => {
  const before = await metric(proxy.adminPort, 'sluice_upstream_connects_total');
  const c = await RawClient.connect(proxy.port);
  try {
    for (let i = 1; i <= 10; i++) {
      c.write('GET /other HTTP/1.1\r\nHost: a\r\n\r\n');
      await c.responses(i);
    }
  } finally {
    c.destroy();
  }
  assert.is((await metric(proxy.adminPort, 'sluice_upstream_connects_total')) - before, 1);
});

test.run();
