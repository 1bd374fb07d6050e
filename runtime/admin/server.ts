// The admin API, off the data path (node:http is fine here): GET /status (JSON),
// GET /metrics (Prometheus text), POST /reload. Bound to loopback unless told otherwise.

import http from 'node:http';
import { log } from '../engine/log.ts';

export interface AdminSource {
  status(): Promise<object>;
  metrics(): Promise<string>;
  reload(): Promise<{ ok: boolean; error?: string }>;
}

export async function startAdmin(host: string, port: number, src: AdminSource): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const fail = (err: unknown) => send(500, 'text/plain', `error: ${(err as Error).message}\n`);
    if (req.method === 'GET' && url === '/status') {
      src.status().then((s) => send(200, 'application/json', JSON.stringify(s, null, 2) + '\n'), fail);
    } else if (req.method === 'GET' && url === '/metrics') {
      src.metrics().then((m) => send(200, 'text/plain; version=0.0.4', m), fail);
    } else if (req.method === 'POST' && url === '/reload') {
      src.reload().then((r) => send(r.ok ? 200 : 422, 'application/json', JSON.stringify(r) + '\n'), fail);
    } else {
      send(404, 'text/plain', 'not found: try /status, /metrics or POST /reload\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  log.info(`admin API on http://${host.includes(':') ? `[${host}]` : host}:${a && typeof a === 'object' ? a.port : port}/ (/status, /metrics)`);
  return server;
}
