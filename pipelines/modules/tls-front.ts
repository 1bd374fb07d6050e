// TLS termination for HTTPS listeners, until the engine has an acceptTLS filter: a node:tls
// server decrypts and relays the plaintext to the gateway's own HTTP pipeline on a loopback
// port (one extra local hop). The relay's local port maps back to the real client address, so
// policies and logs still see the client, not 127.0.0.1.
//
//   client --TLS--> tls.Server (port P) --plain--> 127.0.0.1:inner  (pipy.listen: demuxHTTP ...)
//
// The servers outlive reloads (ports stay bound, certificates are swapped in place); a load
// claims the fronts it declares, and retiring a load closes the fronts no newer load claimed.

import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

interface Front {
  server: tls.Server;
  inner: number;
  generation: number;
}

const fronts = new Map<string, Front>();
/** Local port of a relay connection -> the TLS client's address. */
const relayed = new Map<number, { client: string; servername: string | null }>();

/** The client address behind a relayed connection (its remote port on the inner listener). */
export function relayedClient(remotePort: number): string | undefined {
  return relayed.get(remotePort)?.client;
}

/** The SNI the client asked for on a relayed connection (TLSRoute matching after termination). */
export function relayedServername(remotePort: number): string | null {
  return relayed.get(remotePort)?.servername ?? null;
}

/** A free loopback port (bound and released): the inner listener of a front. */
async function freeLoopbackPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function secureContext(certs: { cert: string; key: string }[]): tls.SecureContextOptions {
  return { cert: certs.map((c) => readFileSync(c.cert)), key: certs.map((c) => readFileSync(c.key)) };
}

/**
 * Ensures a TLS front on address:port for `generation`, relaying to its inner port (kept across
 * reloads). Returns the inner port the HTTP pipeline must listen on.
 */
export async function ensureFront(address: string, port: number, certs: { cert: string; key: string }[], generation: number, alpn = true): Promise<number> {
  const key = `${address}:${port}`;
  const ctx = secureContext(certs); // throws on unreadable files: the load fails, nothing changed
  let f = fronts.get(key);
  if (f) {
    f.server.setSecureContext(ctx);
    f.generation = generation;
    return f.inner;
  }
  const inner = await freeLoopbackPort();
  const server = tls.createServer({ ...ctx, ALPNProtocols: alpn ? ['http/1.1'] : undefined }, (client) => relay(client, inner));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fronts.set(key, (f = { server, inner, generation }));
  return inner;
}

/** Closes the fronts that `generation` claimed last (called when that load is retired). */
export function retireFronts(generation: number): void {
  for (const [key, f] of fronts) {
    if (f.generation !== generation) continue;
    fronts.delete(key);
    f.server.close();
  }
}

function relay(client: tls.TLSSocket, inner: number): void {
  const up = net.connect(inner, '127.0.0.1');
  let localPort = 0;
  up.on('connect', () => {
    localPort = up.localPort ?? 0;
    const sni = (client as tls.TLSSocket & { servername?: string | false }).servername;
    relayed.set(localPort, { client: client.remoteAddress ?? '', servername: typeof sni === 'string' ? sni.toLowerCase() : null });
    client.pipe(up);
    up.pipe(client);
  });
  const done = () => {
    if (localPort) relayed.delete(localPort);
    client.destroy();
    up.destroy();
  };
  up.on('error', done);
  client.on('error', done);
  up.on('close', done);
  client.on('close', done);
}
