// Back-pressure through a real Sluice process (demuxHTTP + muxHTTP + connect):
//   - a client that stops reading a 200 MB download: the upstream must be stopped (its writes
//     return false and it waits for 'drain'), and the proxy must not take the rest in;
//   - an upstream that stops reading a 200 MB upload: the client must be stopped likewise.
// Then each side resumes and every byte arrives intact (sha256).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { startUpstream, type Running, type Upstream } from '../../helpers/sluice.ts';
import { serveScript, rss, sleep, until } from '../../helpers/http.ts';
import { CHUNK, MB, expectedHash, writeChunks } from '../../helpers/bulk.ts';

const N = (200 * MB) / CHUNK;
const WANT = expectedHash(N);
/** What may sit in socket buffers and queues along the way (loopback autotuning allows several MB each). */
const IN_FLIGHT_LIMIT = 48 * MB;

let up: Upstream;
let proxy: Running & { port: number };
const dl = { written: 0, stalls: 0 };
let uploadReq: http.IncomingMessage | null = null;
let uploadRes: http.ServerResponse | null = null;

test.before(async () => {
  up = await startUpstream();
  up.server.removeAllListeners('request');
  up.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/big') {
      res.setHeader('content-length', N * CHUNK);
      void writeChunks(res, N, dl).catch(() => {});
    } else if (req.url === '/upload') {
      req.pause();
      uploadReq = req;
      uploadRes = res;
    } else res.end('?');
  });
  proxy = await startProxy();
});

function startProxy(): Promise<Running & { port: number }> {
  return serveScript(`
import { pipy } from 'sluice';
pipy.listen('127.0.0.1:0', ($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect('127.0.0.1:${up.port}'))));
`, ['--admin-port=0', '--log-level=debug']);
}

test.after(async () => {
  await proxy?.stop('SIGKILL');
  await up?.close();
});

/** Waits until `value()` stops changing for `quietMs`. */
async function settle(value: () => number, quietMs = 400, maxMs = 8000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = value();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(50);
    const v = value();
    if (v !== last) {
      last = v;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return v;
  }
  throw new Error(`still moving after ${maxMs} ms (at ${last})`);
}

test('slow client, 200 MB download: the upstream is held back and the proxy stays small', async () => {
  const base = await rss(proxy.adminPort);
  const sock = net.connect(proxy.port, '127.0.0.1');
  const h = createHash('sha256');
  let headDone = false;
  let pending = Buffer.alloc(0);
  let bodyBytes = 0;
  try {
    await new Promise<void>((r) => sock.once('connect', r));
    sock.on('data', (b: Buffer) => {
      if (!headDone) {
        pending = Buffer.concat([pending, b]);
        const i = pending.indexOf('\r\n\r\n');
        if (i < 0) return;
        headDone = true;
        assert.ok(pending.subarray(0, i).toString('latin1').startsWith('HTTP/1.1 200'));
        b = pending.subarray(i + 4);
      }
      h.update(b);
      bodyBytes += b.length;
      if (bodyBytes > 0 && !paused) {
        paused = true;
        sock.pause();
      }
    });
    let paused = false;
    sock.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => paused, 5000, 'the first body bytes');
    const written = await settle(() => dl.written);
    const during = await rss(proxy.adminPort);
    console.log(`  paused client: upstream wrote ${(written / MB).toFixed(1)} MB of 200 (${dl.stalls} drain waits); proxy RSS ${(base / MB).toFixed(0)} -> ${(during / MB).toFixed(0)} MB`);
    assert.ok(dl.stalls > 0, 'the upstream saw write() return false');
    assert.ok(written < IN_FLIGHT_LIMIT, `upstream got ${(written / MB).toFixed(1)} MB out while the client read nothing`);
    assert.ok(during < 150 * MB, `proxy RSS ${(during / MB).toFixed(0)} MB`);
    assert.ok(during - base < IN_FLIGHT_LIMIT, `proxy RSS grew ${((during - base) / MB).toFixed(0)} MB while stalled`);
    sock.resume();
    await until(() => bodyBytes === N * CHUNK, 30000, 'the whole body');
    assert.is(h.digest('hex'), WANT);
  } finally {
    sock.destroy();
  }
});

test('slow upstream, 200 MB upload: the client is held back and the proxy stays small', async () => {
  // A fresh proxy: after the 200 MB download above, the allocator may keep that memory
  // (Node 24 does), which says nothing about what the upload makes the proxy hold.
  await proxy.stop('SIGKILL');
  proxy = await startProxy();
  const base = await rss(proxy.adminPort);
  const ul = { written: 0, stalls: 0 };
  let result = '';
  const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/upload', headers: { 'content-length': N * CHUNK } }, (res) => {
    res.on('data', (b) => (result += b));
  });
  req.on('error', () => {});
  try {
    let writeError: Error | null = null;
    const writing = writeChunks(req, N, ul).catch((e: Error) => void (writeError = e));
    await until(() => uploadReq !== null, 5000, 'the upload to reach the upstream').catch((e: Error) => {
      throw new Error(`${e.message}; proxy log:\n${proxy.log().slice(-1500)}`);
    });
    const written = await settle(() => ul.written);
    const during = await rss(proxy.adminPort);
    console.log(`  paused upstream: client wrote ${(written / MB).toFixed(1)} MB of 200 (${ul.stalls} drain waits); proxy RSS ${(base / MB).toFixed(0)} -> ${(during / MB).toFixed(0)} MB`);
    assert.ok(ul.stalls > 0, 'the client saw write() return false');
    assert.ok(written < IN_FLIGHT_LIMIT, `client got ${(written / MB).toFixed(1)} MB out while the upstream read nothing`);
    assert.ok(during < 150 * MB, `proxy RSS ${(during / MB).toFixed(0)} MB`);
    // Let the upstream read now and check every byte.
    const h = createHash('sha256');
    let n = 0;
    uploadReq!.on('data', (b: Buffer) => (h.update(b), (n += b.length)));
    uploadReq!.on('end', () => uploadRes!.end(`${n} ${h.digest('hex')}`));
    uploadReq!.resume();
    await writing;
    assert.is(writeError, null, `upload cut short; proxy log:\n${proxy.log().slice(-2000)}`);
    await until(() => result.length > 0, 30000, 'the upstream to answer');
    assert.is(result, `${N * CHUNK} ${WANT}`);
  } finally {
    req.destroy();
  }
});

test.run();
