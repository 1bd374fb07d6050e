// demuxHTTP / serveHTTP over real loopback sockets: keep-alive, pipelining in order, requests
// split at every byte, HEAD/204/304 framing, Connection: close, HTTP/1.0, 100-continue, the
// smuggling vectors (400, closed, nothing upstream), 431, and error responses for
// sub-pipelines that end without one.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Message, StreamEnd, type StreamEndCode } from '../../../runtime/engine/event.ts';
import type { RequestHead } from '../../../runtime/codecs/http1/head.ts';
import { repoRoot, startUpstream } from '../../helpers/sluice.ts';
import { RawClient, parseResponses, serve, sleep, until, type Served } from '../../helpers/http.ts';

/** A server answering `<method> <path> <body> <trailers>` for each request. */
function echoServer(): Promise<Served> {
  return serve(($) =>
    $.serveHTTP((req: Message<RequestHead>) => {
      const t = req.tail ? JSON.stringify(req.tail) : '-';
      return new Message({ status: 200, headers: { 'x-path': req.head.path } }, `${req.head.method} ${req.head.path} ${req.body.toString()} ${t}`);
    }),
  );
}

async function withClient<T>(srv: Served, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(srv.port);
  c.socket.setNoDelay(true);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

test('keep-alive: several requests one after another on one connection', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      for (let i = 1; i <= 3; i++) {
        c.write(`GET /r${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
        const r = await c.responses(i);
        assert.is(r[i - 1]!.status, 200);
        assert.is(r[i - 1]!.body.toString(), `GET /r${i}  -`);
        assert.not.ok(r[i - 1]!.headers['connection']);
      }
      await sleep(50);
      assert.not.ok(c.closed, 'connection stays open');
    });
    assert.is(srv.listener.stats.connections, 1);
  } finally {
    await srv.close();
  }
});

test('pipelining: 3 requests in one write get responses in request order when sub-pipelines finish out of order', async () => {
  const delays: Record<string, number> = { '/slow': 150, '/fast': 5, '/mid': 60 };
  const finished: string[] = [];
  const srv = await serve(($) =>
    $.demuxHTTP().to(($) =>
      $.replaceMessage(
        (req: Message<RequestHead>) =>
          new Promise<Message>((resolve) =>
            setTimeout(() => {
              finished.push(req.head.path);
              resolve(new Message({ status: 200 }, req.head.path));
            }, delays[req.head.path] ?? 0),
          ),
      ),
    ),
  );
  try {
    await withClient(srv, async (c) => {
      c.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\nGET /mid HTTP/1.1\r\nHost: a\r\n\r\n');
      const r = await c.responses(3);
      assert.equal(finished, ['/fast', '/mid', '/slow'], 'sub-pipelines ran concurrently and finished out of order');
      assert.equal(r.map((x) => x.body.toString()), ['/slow', '/fast', '/mid']);
    });
  } finally {
    await srv.close();
  }
});

const fixture = readFileSync(join(repoRoot, 'test/fixtures/http1/req-chunked-ext-trailers.in'));
const fixtureBodies = ['POST /up Wikipedia in\r\n\r\nchunks. {"x-checksum":"abc","x-other":"1"}', 'GET /next  -'];

test('a chunked request with trailers plus a pipelined GET, split in two at every byte boundary', async () => {
  const srv = await echoServer();
  try {
    for (let i = 1; i < fixture.length; i++) {
      await withClient(srv, async (c) => {
        c.write(fixture.subarray(0, i));
        await sleep(2);
        c.write(fixture.subarray(i));
        const r = await c.responses(2);
        assert.equal(r.map((x) => x.body.toString()), fixtureBodies, `split at ${i}`);
      });
    }
  } finally {
    await srv.close();
  }
});

test('the same request sent byte by byte', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      for (let i = 0; i < fixture.length; i++) {
        c.write(fixture.subarray(i, i + 1));
        await new Promise((r) => setImmediate(r));
      }
      const r = await c.responses(2);
      assert.equal(r.map((x) => x.body.toString()), fixtureBodies);
    });
  } finally {
    await srv.close();
  }
});

test('HEAD: the response carries no body, and the next response on the connection parses', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      c.write('HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\n\r\n');
      const r = await c.responses(2, ['HEAD', 'GET']);
      assert.is(r[0]!.status, 200);
      assert.is(r[0]!.body.length, 0);
      assert.is(r[1]!.body.toString(), 'GET /g  -');
      assert.ok(!c.received.toString('latin1').includes('HEAD /h'), 'no HEAD body was written');
    });
  } finally {
    await srv.close();
  }
});

for (const status of [204, 304]) {
  test(`${status}: no body on the wire even when the handler gives one`, async () => {
    const srv = await serve(($) => $.serveHTTP((req: Message<RequestHead>) => (req.head.path === '/x' ? new Message({ status }, 'NOT-ALLOWED') : new Message('next'))));
    try {
      await withClient(srv, async (c) => {
        c.write('GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n');
        const r = await c.responses(2);
        assert.is(r[0]!.status, status);
        assert.not.ok(r[0]!.headers['transfer-encoding']);
        assert.is(r[1]!.body.toString(), 'next');
        assert.not.ok(c.received.includes('NOT-ALLOWED'));
      });
    } finally {
      await srv.close();
    }
  });
}

test('Connection: close: the response says close and the connection closes after it', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      c.write('GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      const r = await c.responses(1);
      assert.is(r[0]!.headers['connection'], 'close');
      await c.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('HTTP/1.0: answered, then closed (no keep-alive asked)', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      c.write('GET /old HTTP/1.0\r\n\r\n');
      const r = await c.responses(1);
      assert.is(r[0]!.body.toString(), 'GET /old  -');
      await c.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('HTTP/1.0 with Connection: keep-alive stays open for a second request', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      c.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      await c.responses(1);
      c.write('GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const r = await c.responses(2);
      assert.is(r[1]!.body.toString(), 'GET /b  -');
      assert.not.ok(c.closed);
    });
  } finally {
    await srv.close();
  }
});

test('Expect: 100-continue gets 100 Continue before the body is sent, then the response', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      c.write('POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
      await until(() => c.received.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 3000, '100 Continue');
      assert.is(parseResponses(c.received).responses.length, 1, 'only the interim response so far');
      c.write('hello');
      const r = await c.responses(2);
      assert.is(r[0]!.status, 100);
      assert.is(r[1]!.status, 200);
      assert.is(r[1]!.body.toString(), 'POST /e hello -');
    });
  } finally {
    await srv.close();
  }
});

// Each vector must be refused with 400, the connection closed, and nothing reach the upstream.
const SMUGGLING: Record<string, string> = {
  'CL and TE': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'two different CLs': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
  'bad chunk size': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  'obs-fold': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n',
  'bare LF': 'GET / HTTP/1.1\nHost: a\n\n',
  'bad header name': 'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n',
  'missing Host': 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n',
};

for (const [name, raw] of Object.entries(SMUGGLING)) {
  test(`smuggling vector refused with 400 and nothing upstream: ${name}`, async () => {
    let upstreamRequests = 0;
    let upstreamBytes = 0;
    const up = await startUpstream();
    up.server.on('request', () => upstreamRequests++);
    up.server.on('connection', (s) => s.on('data', (b: Buffer) => (upstreamBytes += b.length)));
    const srv = await serve(($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect(`127.0.0.1:${up.port}`))));
    try {
      await withClient(srv, async (c) => {
        c.write(raw);
        const r = await c.responses(1);
        assert.is(r[0]!.status, 400);
        assert.is(r[0]!.headers['connection'], 'close');
        await c.waitClosed();
      });
      await sleep(50);
      assert.is(upstreamRequests, 0, 'no request reached the upstream');
      assert.is(upstreamBytes, 0, 'no byte reached the upstream');
    } finally {
      await srv.close();
      await up.close();
    }
  });
}

test('431 for a head over the limit, then close', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      c.write(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
      const r = await c.responses(1);
      assert.is(r[0]!.status, 431);
      await c.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('a 400 after a good pipelined request: the good one is answered first', async () => {
  const srv = await echoServer();
  try {
    await withClient(srv, async (c) => {
      c.write('GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\nHost: a\n\n');
      const r = await c.responses(2);
      assert.is(r[0]!.status, 200);
      assert.is(r[0]!.body.toString(), 'GET /ok  -');
      assert.is(r[1]!.status, 400);
      await c.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

const STREAM_END_STATUS: [StreamEndCode, number][] = [
  ['ConnectionRefused', 502],
  ['ConnectionReset', 502],
  ['ReadTimeout', 504],
  ['ConnectionTimeout', 504],
  ['RuntimeError', 500],
  ['', 502],
];

for (const [code, status] of STREAM_END_STATUS) {
  test(`a sub-pipeline ending with StreamEnd('${code}') and no response gets ${status}, keep-alive kept`, async () => {
    const srv = await serve(($) => $.demuxHTTP().to(($) => $.replaceMessage(() => new StreamEnd(code, 'test'))));
    try {
      await withClient(srv, async (c) => {
        c.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\n');
        const r = await c.responses(1);
        assert.is(r[0]!.status, status);
        c.write('GET /b HTTP/1.1\r\nHost: a\r\n\r\n');
        const r2 = await c.responses(2);
        assert.is(r2[1]!.status, status);
      });
    } finally {
      await srv.close();
    }
  });
}

test('node:http client against serveHTTP: keep-alive agent reuses the connection', async () => {
  const srv = await echoServer();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: srv.port, path, agent }, (res) => {
            let s = '';
            res.on('data', (b) => (s += b));
            res.on('end', () => resolve(s));
          })
          .on('error', reject);
      });
    for (let i = 0; i < 5; i++) assert.is(await get(`/n${i}`), `GET /n${i}  -`);
    assert.is(srv.listener.stats.connections, 1);
  } finally {
    agent.destroy();
    await srv.close();
  }
});

test.run();
