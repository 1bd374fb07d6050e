// claimSocket(): once a socket is claimed for the kernel relay, Node must not read one more byte
// from it, whatever its stream machinery does (resume, read(0), the once('connect') listener that
// Socket#_read leaves on a connecting socket). A single stray read loses a 64 KiB chunk of a
// handed-off stream: the upstream claimed inside its own 'connect' used to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { claimSocket, releaseSocket } from '../../../runtime/offload/native.ts';

const CHUNK = 256 * 1024;

/** A server that writes `bytes` to every connection, then ends it. */
async function sender(bytes: number): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.end(Buffer.alloc(bytes, 7));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countRest(s: net.Socket): Promise<number> {
  let n = 0;
  s.on('data', (d: Buffer) => (n += d.length));
  return new Promise((r) => s.once('end', () => r(n)));
}

function ignore(): void {}

test('claimed inside its own connect event: Node reads nothing, release gives every byte back', async () => {
  const srv = await sender(CHUNK);
  const s = net.connect({ port: srv.port, host: '127.0.0.1' });
  let claimed = false;
  // Registered before the 'data' listener's deferred _read() adds Node's once('connect'), as in
  // Connect: that listener runs after ours and used to restart reading the claimed handle.
  s.on('connect', () => {
    s.removeListener('data', ignore);
    claimed = claimSocket(s);
  });
  s.on('data', ignore);
  await new Promise((r) => s.once('connect', r));
  await sleep(100);
  assert.ok(claimed);
  assert.is(s.bytesRead, 0, 'Node read a claimed socket');
  assert.is(s.readableLength, 0);
  releaseSocket(s);
  assert.is(await countRest(s), CHUNK);
  s.destroy();
  srv.close();
});

test('claimed mid-stream: resume() and read(0) do not restart reading', async () => {
  const srv = await sender(4 * CHUNK);
  const s = net.connect({ port: srv.port, host: '127.0.0.1' });
  let seen = 0;
  const first = new Promise<void>((r) => s.on('data', function onFirst(d: Buffer) {
    seen += d.length;
    s.removeListener('data', onFirst);
    r();
  }));
  await first;
  assert.ok(claimSocket(s));
  const at = s.bytesRead;
  s.resume();
  s.read(0);
  await sleep(100);
  assert.is(s.bytesRead, at, 'Node read a claimed socket');
  releaseSocket(s);
  // Released: what Node buffered before the claim plus everything after it.
  const rest = await countRest(s);
  assert.is(seen + rest, 4 * CHUNK);
  s.destroy();
  srv.close();
});

test('release leaves a socket our flow control had paused paused', async () => {
  const srv = await sender(CHUNK);
  const s = net.connect({ port: srv.port, host: '127.0.0.1' });
  await new Promise((r) => s.once('connect', r));
  s.pause();
  assert.ok(claimSocket(s));
  releaseSocket(s);
  await sleep(50);
  assert.is(s.readableFlowing, false);
  s.destroy();
  srv.close();
});

test.run();
