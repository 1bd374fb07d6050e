// examples/websocket.ts: a WebSocket upgrade through the proxy, with a real handshake
// (RFC 6455 §4) and masked frames, against a node:http 'upgrade' server on 8080.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { assertPortsFree, isolateNetwork, request, runExample } from '../../helpers/examples.ts';
import type { Running } from '../../helpers/sluice.ts';

isolateNetwork();

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const acceptOf = (key: string) => createHash('sha1').update(key + GUID).digest('base64');

/** One unfragmented frame; client frames are masked (RFC 6455 §5.3). */
function frame(text: string, mask: boolean): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('test frames are short');
  const head = Buffer.from([0x81, (mask ? 0x80 : 0) | payload.length]);
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([head, key, masked]);
}

function parseFrame(buf: Buffer): { text: string; size: number } | null {
  if (buf.length < 2) return null;
  const masked = (buf[1]! & 0x80) !== 0;
  const len = buf[1]! & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (buf.length < start + len) return null;
  let payload = buf.subarray(start, start + len);
  if (masked) {
    const key = buf.subarray(2, 6);
    payload = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  }
  return { text: payload.toString(), size: start + len };
}

let sluice: Running;
let server: http.Server;
let upgrades = 0;
const upgraded = new Set<net.Socket>();

test.before(async () => {
  await assertPortsFree([8080]);
  server = http.createServer((req, res) => res.end(`plain ${req.url}`));
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    upgrades++;
    upgraded.add(socket);
    if (req.url === '/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 7\r\n\r\nrefused');
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptOf(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    let buf = head;
    // node:http leaves an upgraded socket half-open on the peer's FIN; a WebSocket server
    // closes its side too (as the ws library does).
    socket.on('end', () => socket.end());
    socket.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      for (let f = parseFrame(buf); f; f = parseFrame(buf)) {
        buf = buf.subarray(f.size);
        socket.write(frame(`echo: ${f.text}`, false));
      }
    });
  });
  await new Promise<void>((r) => server.listen(8080, '127.0.0.1', r));
  sluice = await runExample('websocket.ts', [8000]);
});
test.after(async () => {
  await sluice?.stop();
  // Upgraded sockets are no longer the HTTP server's to close.
  for (const s of upgraded) s.destroy();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** Connects to the proxy, upgrades, and returns the socket plus what followed the 101. */
async function handshake(path: string): Promise<{ sock: net.Socket; status: number; headers: string; rest: Buffer }> {
  const sock = net.connect(8000, '127.0.0.1');
  await new Promise((r, j) => sock.once('connect', r).once('error', j));
  const key = randomBytes(16).toString('base64');
  sock.write(
    `GET ${path} HTTP/1.1\r\nHost: localhost:8000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  while (buf.indexOf('\r\n\r\n') < 0) {
    const b = await new Promise<Buffer>((r, j) => sock.once('data', r).once('error', j));
    buf = Buffer.concat([buf, b]);
  }
  const end = buf.indexOf('\r\n\r\n');
  const headers = buf.subarray(0, end).toString();
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]);
  if (status === 101) assert.ok(headers.includes(`Sec-WebSocket-Accept: ${acceptOf(key)}`), headers);
  return { sock, status, headers, rest: buf.subarray(end + 4) };
}

async function readFrame(sock: net.Socket, initial: Buffer): Promise<string> {
  let buf = initial;
  for (;;) {
    const f = parseFrame(buf);
    if (f) return f.text;
    buf = Buffer.concat([buf, await new Promise<Buffer>((r, j) => sock.once('data', r).once('error', j))]);
  }
}

test('websocket: the upgrade passes through and frames flow both ways after the 101', async () => {
  const { sock, status, rest } = await handshake('/chat');
  try {
    assert.is(status, 101);
    sock.write(frame('hello', true));
    assert.is(await readFrame(sock, rest), 'echo: hello');
    sock.write(frame('again', true));
    assert.is(await readFrame(sock, Buffer.alloc(0)), 'echo: again');
  } finally {
    sock.destroy();
  }
});

test('websocket: several upgraded connections at once stay separate', async () => {
  const conns = await Promise.all([1, 2, 3].map(() => handshake('/chat')));
  try {
    conns.forEach((c, i) => c.sock.write(frame(`client ${i}`, true)));
    const got = await Promise.all(conns.map((c) => readFrame(c.sock, c.rest)));
    assert.equal(got, ['echo: client 0', 'echo: client 1', 'echo: client 2']);
  } finally {
    for (const c of conns) c.sock.destroy();
  }
});

test('websocket: a refused upgrade is an ordinary response', async () => {
  const { sock, status } = await handshake('/refuse');
  sock.destroy();
  assert.is(status, 403);
});

test('websocket: plain requests go through the same proxy', async () => {
  const r = await request(8000, '/plain');
  assert.is(r.status, 200);
  assert.is(r.body, 'plain /plain');
  assert.ok(upgrades >= 4);
});

test.run();
