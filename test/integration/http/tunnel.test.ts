// HTTP tunnels over real sockets: CONNECT through acceptHTTPTunnel to an echo upstream (bytes
// sent right after the head are neither lost nor reordered), refusals, connectHTTPTunnel
// through a Sluice acceptHTTPTunnel, and Upgrade (101) passthrough via demuxHTTP + muxHTTP.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import http from 'node:http';
import { Message, type StreamEnd } from '../../../runtime/engine/event.ts';
import type { RequestHead } from '../../../runtime/codecs/http1/head.ts';
import { RawClient, rawServer, serve, sleep, until } from '../../helpers/http.ts';

/** Echo upstream: writes back what it reads; ends when the peer ends. */
function echoUpstream() {
  return rawServer((s) => {
    s.on('data', (b) => s.write(b));
    s.on('end', () => s.end());
  });
}

function tunnelServer(delayMs = 0, status = 200) {
  return serve<{ target: string }>(($) =>
    $.acceptHTTPTunnel((req: Message<RequestHead>, ctx) => {
      ctx.target = req.head.path;
      const res = new Message({ status });
      return delayMs ? new Promise<Message>((r) => setTimeout(() => r(res), delayMs)) : res;
    }).to(($) => $.connect((ctx) => ctx.target)),
  );
}

test('CONNECT via acceptHTTPTunnel: 200, then bytes sent with the head and after it come back in order', async () => {
  const echo = await echoUpstream();
  const srv = await tunnelServer();
  const c = await RawClient.connect(srv.port);
  try {
    c.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\n\r\nearly-`);
    c.write('second-');
    await until(() => c.received.includes('early-second-'), 3000, 'early bytes echoed');
    const text = c.received.toString('latin1');
    assert.ok(text.startsWith('HTTP/1.1 200'), text);
    assert.is(text.slice(text.indexOf('\r\n\r\n') + 4), 'early-second-');
    c.write('more');
    await until(() => c.received.toString('latin1').endsWith('early-second-more'), 3000, 'later bytes echoed');
    c.socket.end();
    await c.waitClosed();
  } finally {
    c.destroy();
    await srv.close();
    await echo.close();
  }
});

test('CONNECT with an async handler: bytes sent while it decides are held and delivered first, in order', async () => {
  const echo = await echoUpstream();
  const srv = await tunnelServer(100);
  const c = await RawClient.connect(srv.port);
  try {
    c.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    for (let i = 0; i < 5; i++) {
      c.write(`<${i}>`);
      await sleep(5);
    }
    await until(() => c.received.includes('<4>'), 3000, 'held bytes echoed');
    const text = c.received.toString('latin1');
    assert.ok(text.startsWith('HTTP/1.1 200'));
    assert.is(text.slice(text.indexOf('\r\n\r\n') + 4), '<0><1><2><3><4>');
  } finally {
    c.destroy();
    await srv.close();
    await echo.close();
  }
});

test('CONNECT with a FIN right after the bytes while the handler decides: data delivered, then closed', async () => {
  const echo = await echoUpstream();
  const srv = await tunnelServer(80);
  const c = await RawClient.connect(srv.port);
  try {
    c.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\nbye`);
    c.socket.end();
    await c.waitClosed();
    const text = c.received.toString('latin1');
    assert.is(text.slice(text.indexOf('\r\n\r\n') + 4), 'bye');
  } finally {
    c.destroy();
    await srv.close();
    await echo.close();
  }
});

test('acceptHTTPTunnel refusing (403): the response is written, the connection closes, nothing is connected', async () => {
  const echo = await echoUpstream();
  const srv = await tunnelServer(0, 403);
  const c = await RawClient.connect(srv.port);
  try {
    c.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\nsecret`);
    await c.waitClosed();
    const r = (await c.responses(1))[0]!;
    assert.is(r.status, 403);
    assert.is(r.headers['connection'], 'close');
    await sleep(30);
    assert.is(echo.accepted(), 0);
  } finally {
    c.destroy();
    await srv.close();
    await echo.close();
  }
});

test('acceptHTTPTunnel: a malformed request gets 400 and the connection closes', async () => {
  const srv = await tunnelServer();
  const c = await RawClient.connect(srv.port);
  try {
    c.write('CONNECT x:1 HTTP/1.1\nHost: x\n\n');
    await c.waitClosed();
    assert.is((await c.responses(1))[0]!.status, 400);
  } finally {
    c.destroy();
    await srv.close();
  }
});

test('connectHTTPTunnel through a Sluice acceptHTTPTunnel: input sent before the 2xx is held and relayed', async () => {
  const echo = await echoUpstream();
  const proxy = await tunnelServer(50);
  const seenConnect: string[] = [];
  const sniff = await rawServer((s) => {
    // A transparent hop in front of the tunnel server, recording what connectHTTPTunnel sent.
    const up = net.connect(proxy.port, '127.0.0.1');
    let first = true;
    s.on('data', (b) => {
      if (first) seenConnect.push(b.toString('latin1'));
      first = false;
      up.write(b);
    });
    up.on('data', (b) => s.write(b));
    s.on('end', () => up.end());
    up.on('end', () => s.end());
    up.on('error', () => s.destroy());
  });
  const client = await serve(($) => $.connectHTTPTunnel(`127.0.0.1:${echo.port}`).to(($) => $.connect(`127.0.0.1:${sniff.port}`)));
  const c = await RawClient.connect(client.port);
  try {
    c.write('ping-before-accept;');
    await until(() => c.received.includes('ping-before-accept;'), 3000, 'echo through the tunnel');
    c.write('after');
    await until(() => c.received.toString() === 'ping-before-accept;after', 3000, 'more echo');
    assert.ok(seenConnect[0]!.startsWith(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nhost: 127.0.0.1:${echo.port}\r\n\r\n`), seenConnect[0]);
    c.socket.end();
    await c.waitClosed();
  } finally {
    c.destroy();
    await client.close();
    await sniff.close();
    await proxy.close();
    await echo.close();
  }
});

for (const [status, code] of [[403, 'ConnectionRefused'], [407, 'Unauthorized'], [502, 'ConnectionRefused']] as const) {
  test(`connectHTTPTunnel refused with ${status}: the stream ends with ${code} and the status in the message`, async () => {
    const proxy = await rawServer((s) => s.once('data', () => s.write(`HTTP/1.1 ${status} No\r\ncontent-length: 0\r\n\r\n`)));
    const ends: StreamEnd[] = [];
    const client = await serve(($) =>
      $.connectHTTPTunnel('example.test:443')
        .to(($) => $.connect(`127.0.0.1:${proxy.port}`))
        .handleStreamEnd((e) => void ends.push(e)),
    );
    const c = await RawClient.connect(client.port);
    try {
      c.write('data');
      await c.waitClosed();
      assert.is(c.received.length, 0, 'nothing relayed');
      assert.is(ends.length, 1);
      assert.is(ends[0]!.error, code);
      assert.ok(ends[0]!.message.includes(String(status)), ends[0]!.message);
    } finally {
      c.destroy();
      await client.close();
      await proxy.close();
    }
  });
}

test('connectHTTPTunnel: input held beyond bufferLimit while waiting ends with BufferOverflow', async () => {
  const proxy = await rawServer(() => {});
  const ends: StreamEnd[] = [];
  const client = await serve(($) =>
    $.connectHTTPTunnel('example.test:443', { bufferLimit: 1000 })
      .to(($) => $.connect(`127.0.0.1:${proxy.port}`))
      .handleStreamEnd((e) => void ends.push(e)),
  );
  const c = await RawClient.connect(client.port);
  try {
    c.write(Buffer.alloc(600));
    await sleep(20);
    assert.is(ends.length, 0, 'within the limit: still waiting');
    c.write(Buffer.alloc(600));
    await c.waitClosed();
    assert.is(ends[0]?.error, 'BufferOverflow');
  } finally {
    c.destroy();
    await client.close();
    await proxy.close();
  }
});

/** node:http upstream answering Upgrade: echo with 101 and echoing bytes. */
async function upgradeUpstream() {
  const state = { clientEnded: false, sockets: [] as net.Socket[] };
  const server = http.createServer((_req, res) => res.end('no upgrade'));
  server.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
    state.sockets.push(socket);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers['upgrade']}\r\nConnection: Upgrade\r\n\r\n`);
    if (head.length) socket.write(head);
    socket.on('data', (b) => socket.write(b));
    socket.on('end', () => {
      state.clientEnded = true;
      socket.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    state,
    close: () => new Promise<void>((r) => (state.sockets.forEach((s) => s.destroy()), server.closeAllConnections(), server.close(() => r()))),
  };
}

test('Upgrade passthrough via demuxHTTP + muxHTTP: 101, bytes both ways, client FIN reaches upstream', async () => {
  const up = await upgradeUpstream();
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect(`127.0.0.1:${up.port}`))));
  const c = await RawClient.connect(srv.port);
  try {
    c.write('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    await until(() => c.received.includes('\r\n\r\n'), 3000, '101');
    assert.ok(c.received.toString('latin1').startsWith('HTTP/1.1 101'), c.received.toString('latin1'));
    const headLen = c.received.indexOf('\r\n\r\n') + 4;
    c.write('frame-1;');
    await until(() => c.received.subarray(headLen).toString() === 'frame-1;', 3000, 'echo after 101');
    c.write('frame-2;');
    await until(() => c.received.subarray(headLen).toString() === 'frame-1;frame-2;', 3000, 'second echo');
    c.socket.end();
    await until(() => up.state.clientEnded, 3000, 'the FIN to reach the upstream');
    await c.waitClosed();
  } finally {
    c.destroy();
    await srv.close();
    await up.close();
  }
});

test('Upgrade passthrough: the upstream closing closes the client connection', async () => {
  const up = await upgradeUpstream();
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect(`127.0.0.1:${up.port}`))));
  const c = await RawClient.connect(srv.port);
  try {
    c.write('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly');
    await until(() => c.received.includes('early'), 3000, 'bytes sent with the upgrade request echoed');
    up.state.sockets[0]!.end();
    await c.waitClosed();
  } finally {
    c.destroy();
    await srv.close();
    await up.close();
  }
});

test('Upgrade refused by the upstream (200): a normal response, and the connection stays HTTP', async () => {
  const up = await upgradeUpstream();
  up.state.sockets.length = 0;
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect(`127.0.0.1:${up.port}`))));
  const c = await RawClient.connect(srv.port);
  try {
    // No "Connection: Upgrade": node:http treats it as a plain request.
    c.write('GET /plain HTTP/1.1\r\nHost: a\r\n\r\nGET /again HTTP/1.1\r\nHost: a\r\n\r\n');
    const r = await c.responses(2);
    assert.is(r[0]!.body.toString(), 'no upgrade');
    assert.is(r[1]!.body.toString(), 'no upgrade');
  } finally {
    c.destroy();
    await srv.close();
    await up.close();
  }
});

test('Upgrade declined by the upstream (200): the response is relayed and the next request is parsed as HTTP', async () => {
  const up = await rawServer((s) => {
    let buf = '';
    s.on('data', (b) => {
      buf += b.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const path = buf.slice(0, i).split(' ')[1];
        buf = buf.slice(i + 4);
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${path!.length}\r\n\r\n${path}`);
      }
    });
  });
  const srv = await serve(($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect(`127.0.0.1:${up.port}`))));
  const c = await RawClient.connect(srv.port);
  try {
    c.write('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n');
    const r = await c.responses(2);
    assert.is(r[0]!.body.toString(), '/ws');
    assert.is(r[1]!.body.toString(), '/next');
  } finally {
    c.destroy();
    await srv.close();
    await up.close();
  }
});

test.run();
