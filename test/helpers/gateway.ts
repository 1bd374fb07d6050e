// Helpers for the gateway conformance suite: echo backends that report which endpoint answered
// and the request they saw, a gateway process started from a YAML config (one per group of
// cases, not per request), and a small HTTP client that never pools connections.

import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSluice, freePort, type Running } from './sluice.ts';

export interface Seen {
  endpoint: string;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Echo {
  name: string;
  port: number;
  /** `127.0.0.1:port`, as the gateway config names it. */
  addr: string;
  seen: Seen[];
  /** Status to answer with (default 200); a function decides per request. */
  status: number | ((s: Seen) => number);
  /** Milliseconds to wait before answering. */
  delay: number;
  /** Health endpoint status (/healthz). */
  health: number;
  close(): Promise<void>;
  /** Stops accepting (connections refused) until `start()` again. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * An echo backend: answers JSON `{endpoint, method, path, headers, body}`, with
 * `x-echo-endpoint` naming itself. `x-echo-status` / `x-echo-delay` request headers override
 * the status and delay per request.
 */
export async function startEcho(name: string, port = 0): Promise<Echo> {
  const e: Echo = {
    name,
    port,
    addr: '',
    seen: [],
    status: 200,
    delay: 0,
    health: 200,
    close: async () => {},
    stop: async () => {},
    start: async () => {},
  };
  let server: http.Server;
  const tunnels = new Set<net.Socket>();
  const make = () =>
    http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (b) => parts.push(b));
      req.on('end', () => {
        if (req.url === '/healthz') {
          res.writeHead(e.health, { 'content-type': 'text/plain' });
          res.end(`${e.health}\n`);
          return;
        }
        const s: Seen = { endpoint: name, method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(parts).toString() };
        e.seen.push(s);
        const status = req.headers['x-echo-status'] ? Number(req.headers['x-echo-status']) : typeof e.status === 'function' ? e.status(s) : e.status;
        const delay = req.headers['x-echo-delay'] ? Number(req.headers['x-echo-delay']) : e.delay;
        const answer = () => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json', 'x-echo-endpoint': name, 'x-upstream-header': 'present' });
          res.end(JSON.stringify(s));
        };
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
    });
  e.start = async () => {
    server = make();
    // WebSocket-style upgrades: 101, then every chunk echoed back prefixed with the name.
    server.on('upgrade', (req, sock: net.Socket) => {
      e.seen.push({ endpoint: name, method: req.method!, path: req.url!, headers: req.headers, body: '' });
      sock.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: upgrade\r\nx-echo-endpoint: ${name}\r\n\r\n`);
      sock.on('data', (d) => sock.write(`${name}:${d}`));
      sock.on('error', () => {});
      tunnels.add(sock);
      sock.on('close', () => tunnels.delete(sock));
    });
    await new Promise<void>((r) => server.listen(e.port, '127.0.0.1', r));
    e.port = (server.address() as net.AddressInfo).port;
    e.addr = `127.0.0.1:${e.port}`;
  };
  e.stop = () =>
    new Promise((r) => {
      for (const t of tunnels) t.destroy();
      server.closeAllConnections();
      server.close(() => r());
    });
  e.close = e.stop;
  await e.start();
  return e;
}

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The echo's JSON when an echo backend answered, else null. */
  echo: Seen | null;
}

export interface Req {
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** One request on a fresh connection. */
export function request(port: number, r: Req = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (r.host) headers.host = r.host;
    const req = http.request({ host: '127.0.0.1', port, method: r.method ?? 'GET', path: r.path ?? '/', headers, agent: false, timeout: r.timeoutMs ?? 10_000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b) => parts.push(b));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        let echo: Seen | null = null;
        if (res.headers['x-echo-endpoint']) {
          try {
            echo = JSON.parse(text) as Seen;
          } catch {
            echo = null;
          }
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, echo });
      });
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    if (r.body) req.write(r.body);
    req.end();
  });
}

export interface Gateway {
  run: Running;
  port: number;
  dir: string;
  file: string;
  /** Rewrites the config file (the gateway watches it). */
  write(yaml: string): void;
  stop(): Promise<void>;
}

/**
 * Starts `sluice gateway <file>` with `yaml` (where `${PORT}` is the listener port chosen
 * here). Extra files (JWKS, htpasswd, modules) can be written in the same folder first.
 */
export async function startGateway(yaml: string | ((port: number) => string), opts: { files?: Record<string, string>; args?: string[]; env?: NodeJS.ProcessEnv; port?: number; asDir?: boolean } = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gw-'));
  const port = opts.port ?? (await freePort());
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
  const file = join(dir, 'gateway.yaml');
  const text = typeof yaml === 'function' ? yaml(port) : yaml.replaceAll('${PORT}', String(port));
  writeFileSync(file, text);
  const run = await startSluice(['gateway', opts.asDir ? dir : file, '--admin-port=0', ...(opts.args ?? [])], { env: { SLUICE_GATEWAY_WATCH_DEBOUNCE: '100', ...opts.env } });
  return {
    run,
    port,
    dir,
    file,
    write: (y) => writeFileSync(file, y.replaceAll('${PORT}', String(port))),
    stop: async () => {
      await run.stop('SIGKILL');
    },
  };
}

/** Fetches the admin /metrics text. */
export async function metricsText(adminPort: number): Promise<string> {
  const r = await request(adminPort, { path: '/metrics' });
  return r.text;
}

export const GW = 'apiVersion: gateway.networking.k8s.io/v1';
export const SL = 'apiVersion: gateway.sluice.dev/v1alpha1';

/** A Gateway resource named `gw` with one HTTP listener on ${PORT}. */
export const GATEWAY = `${GW}
kind: Gateway
metadata: { name: gw }
spec:
  addresses: [{ value: 127.0.0.1 }]
  listeners: [{ name: http, port: \${PORT}, protocol: HTTP }]
`;

export function backend(name: string, ...addrs: string[]): string {
  return `---
${SL}
kind: Backend
metadata: { name: ${name} }
spec: { endpoints: [${addrs.map((a) => `"${a}"`).join(', ')}] }
`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
