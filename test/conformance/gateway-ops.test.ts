// Operating the gateway: reload when the watched config changes (valid: takes effect, in-flight
// requests finish; invalid: refused with resource/field/reason, old config keeps serving),
// SIGHUP, the access log (configured fields), /metrics, the embedded demo of `sluice gateway`
// without arguments, a config refused at start, TCPRoute and TLSRoute passthrough by SNI.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import tls from 'node:tls';
import { startSluice, freePort } from '../helpers/sluice.ts';
import { spawnSync } from 'node:child_process';
import https from 'node:https';
import { binSluice, distRoot, repoRoot } from '../helpers/sluice.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEcho, startGateway, request, backend, metricsText, sleep, GATEWAY, GW, SL, type Echo } from '../helpers/gateway.ts';

const t = suite('gateway: reload, logs, metrics, demo, TCP/TLS');

let a: Echo, b: Echo;

t.before(async () => {
  [a, b] = await Promise.all([startEcho('a'), startEcho('b')]);
});
t.after(async () => {
  await Promise.all([a, b].map((e) => e?.close()));
});

const routeTo = (name: string, extra = '') => `---
${GW}
kind: HTTPRoute
metadata: { name: r }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - backendRefs: [{ name: ${name} }]
${extra}`;

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

t('reload: a valid change takes effect, an invalid one is refused and the old config serves', async () => {
  const base = GATEWAY + backend('a', a.addr) + backend('b', b.addr);
  const gw = await startGateway(base + routeTo('a'));
  try {
    assert.is((await request(gw.port, { path: '/x' })).echo?.endpoint, 'a');
    // A slow request in flight across the reload still completes on the old config.
    const inflight = request(gw.port, { path: '/slow', headers: { 'x-echo-delay': '700' } });
    await sleep(100);
    gw.write(base + routeTo('b'));
    await until(async () => (await request(gw.port, { path: '/x' })).echo?.endpoint === 'b', 5000, 'new config serving');
    const old = await inflight;
    assert.is(old.status, 200);
    assert.is(old.echo?.endpoint, 'a');
    // Invalid: an unknown field. The error names resource, field path and reason.
    gw.write(base + routeTo('a').replace('backendRefs:', 'backendRefz:'));
    await gw.run.waitFor(/reload failed, still serving the previous script: .*HTTPRoute default\/r: spec\.rules\[0\]\.backendRefz: unknown field/, 5000);
    for (let i = 0; i < 3; i++) assert.is((await request(gw.port, { path: '/x' })).echo?.endpoint, 'b');
    // SIGHUP after fixing the file by hand (watch disabled in spirit: the signal alone reloads).
    gw.write(base + routeTo('a'));
    gw.run.proc.kill('SIGHUP');
    await until(async () => (await request(gw.port, { path: '/x' })).echo?.endpoint === 'a', 5000, 'reloaded by SIGHUP');
  } finally {
    await gw.stop();
  }
});

t('reload reaches keep-alive connections opened before it', async () => {
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ endpoint: string; socket: unknown }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/k', agent }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ endpoint: JSON.parse(text).endpoint, socket: req.socket }));
      });
      req.on('error', reject);
    });
  const base = GATEWAY + backend('a', a.addr) + backend('b', b.addr);
  const gw = await startGateway(base + routeTo('a'));
  try {
    const first = await get();
    assert.is(first.endpoint, 'a');
    gw.write(base + routeTo('b'));
    await gw.run.waitFor(/reloaded/, 5000);
    await sleep(50);
    const second = await get();
    assert.is(second.socket, first.socket, 'same client connection');
    assert.is(second.endpoint, 'b');
  } finally {
    agent.destroy();
    await gw.stop();
  }
});

t('reload keeps what active health checks learnt: a down endpoint gets no traffic after a reload', async () => {
  const [h1, h2] = await Promise.all([startEcho('h1'), startEcho('h2')]);
  h2.health = 500;
  const cfg = (tag: string) =>
    GATEWAY + backend('hc', h1.addr, h2.addr) + `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: hc }\nspec:\n  targetRefs: [{ kind: Backend, name: hc }]\n  healthCheck: { active: { path: /healthz, interval: 700ms, unhealthyThreshold: 2 } }\n` + routeTo('hc', `      # ${tag}\n`);
  const gw = await startGateway(cfg('one'));
  try {
    await until(async () => (await request(gw.port, { path: '/x' })).echo?.endpoint === 'h1' && (await request(gw.port, { path: '/x' })).echo?.endpoint === 'h1', 5000, 'h2 marked down');
    const before = h2.seen.length;
    gw.run.proc.kill('SIGHUP');
    await gw.run.waitFor(/reloaded/, 5000);
    for (let i = 0; i < 6; i++) assert.is((await request(gw.port, { path: '/x' })).echo?.endpoint, 'h1');
    assert.is(h2.seen.length, before, 'h2 got nothing right after the reload');
  } finally {
    await gw.stop();
    await Promise.all([h1.close(), h2.close()]);
  }
});

t('listener hostnames: routes are intersected with them, other hosts get 404; allowedRoutes namespaces', async () => {
  const openPort = await freePort();
  const cfg = (port: number) => `${GW}
kind: Gateway
metadata: { name: gw }
spec:
  addresses: [{ value: 127.0.0.1 }]
  listeners:
    - { name: shop, port: ${port}, protocol: HTTP, hostname: "*.shop.test" }
    - { name: api, port: ${port}, protocol: HTTP, hostname: api.test }
${backend('a', a.addr)}${backend('b', b.addr)}---
${GW}
kind: HTTPRoute
metadata: { name: any-host }
spec:
  parentRefs: [{ name: gw, sectionName: shop }]
  rules: [{ backendRefs: [{ name: a }] }]
---
${GW}
kind: HTTPRoute
metadata: { name: narrower }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [api.test, x.shop.test, unrelated.test]
  rules: [{ matches: [{ path: { value: /n } }], backendRefs: [{ name: b }] }]
---
${GW}
kind: HTTPRoute
metadata: { name: foreign, namespace: other }
spec:
  parentRefs: [{ name: gw, namespace: default }]
  hostnames: [api.test]
  rules: [{ matches: [{ path: { value: /foreign } }], backendRefs: [{ name: a, namespace: default }] }]
---
${GW}
kind: Gateway
metadata: { name: open }
spec:
  addresses: [{ value: 127.0.0.1 }]
  listeners: [{ name: all, port: ${openPort}, protocol: HTTP, allowedRoutes: { namespaces: { from: All } } }]
---
${GW}
kind: HTTPRoute
metadata: { name: welcome, namespace: other }
spec:
  parentRefs: [{ name: open, namespace: default }]
  rules: [{ backendRefs: [{ name: a, namespace: default }] }]
`;
  const gw = await startGateway(cfg);
  try {
    const at = async (host: string, path = '/') => {
      const r = await request(gw.port, { host, path });
      return r.status === 200 ? r.echo!.endpoint : r.status;
    };
    assert.is(await at('a.shop.test'), 'a', 'a route without hostnames takes the listener hostname');
    assert.is(await at('api.test'), 404, 'that route is not attached to the api listener');
    assert.is(await at('other.test'), 404, 'no listener for this host');
    assert.is(await at('api.test', '/n'), 'b');
    assert.is(await at('x.shop.test', '/n'), 'b');
    assert.is(await at('y.shop.test', '/n'), 'a', 'x.shop.test is the only shop host of the narrower route');
    assert.is(await at('unrelated.test', '/n'), 404, 'route hostnames outside every listener are dropped');
    assert.is(await at('api.test', '/foreign'), 404, 'a route from another namespace is not admitted by default (Same)');
    assert.match(gw.run.log(), /route other\/foreign is attached to no listener/);
    const r = await request(openPort, { path: '/x' });
    assert.is(r.echo?.endpoint, 'a', 'allowedRoutes from: All admits it');
  } finally {
    await gw.stop();
  }
});

t('GatewaySettings.clientIdleTimeout closes idle client connections', async () => {
  const settings = `---\n${SL}\nkind: GatewaySettings\nmetadata: { name: s }\nspec: { clientIdleTimeout: 300ms }\n`;
  const gw = await startGateway(GATEWAY + backend('a', a.addr) + routeTo('a') + settings);
  try {
    const t0 = Date.now();
    await new Promise<void>((resolve) => {
      const c = net.connect(gw.port, '127.0.0.1');
      c.on('close', () => resolve());
      c.on('error', () => {});
      setTimeout(() => c.destroy(), 5000);
    });
    const ms = Date.now() - t0;
    assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
  } finally {
    await gw.stop();
  }
});

t('a watched folder: a new file is picked up; the access log can go to a file', async () => {
  const logFile = join(mkdtempSync(join(tmpdir(), 'sluice-gw-log-')), 'access.log');
  const settings = `---\n${SL}\nkind: GatewaySettings\nmetadata: { name: s }\nspec: { accessLog: { path: ${logFile}, fields: [path, status] } }\n`;
  const gw = await startGateway(GATEWAY + backend('a', a.addr) + backend('b', b.addr) + routeTo('a') + settings, { asDir: true });
  try {
    assert.is((await request(gw.port, { path: '/one' })).echo?.endpoint, 'a');
    writeFileSync(join(gw.dir, 'more.yaml'), `${GW}\nkind: HTTPRoute\nmetadata: { name: more }\nspec:\n  parentRefs: [{ name: gw }]\n  rules:\n    - matches: [{ path: { type: Exact, value: /two } }]\n      backendRefs: [{ name: b }]\n`);
    await until(async () => (await request(gw.port, { path: '/two' })).echo?.endpoint === 'b', 5000, 'new file applied');
    const { readFileSync } = await import('node:fs');
    await until(async () => readFileSync(logFile, 'utf8').includes('{"path":"/one","status":200}'), 3000, 'log line in the file');
  } finally {
    await gw.stop();
  }
});

t('access log: one JSON line per request with the configured fields; metrics per route', async () => {
  const settings = `---
${SL}
kind: GatewaySettings
metadata: { name: settings }
spec:
  accessLog: { fields: [method, path, status, route, backend, trace_id, bytes_in, bytes_out] }
`;
  const gw = await startGateway(GATEWAY + backend('a', a.addr) + routeTo('a') + settings);
  try {
    await request(gw.port, { path: '/logged?x=1', headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' } });
    const m = await gw.run.waitFor(/\{"method":"GET","path":"\/logged\?x=1"[^\n]*\}/, 3000);
    const line = JSON.parse(m[0]);
    assert.is(typeof line.bytes_out, 'number');
    assert.ok(line.bytes_out > 50, `bytes_out ${line.bytes_out}`);
    delete line.bytes_out;
    assert.equal(line, { method: 'GET', path: '/logged?x=1', status: 200, route: 'default/r', backend: 'default/a', trace_id: '11111111111111111111111111111111', bytes_in: 0 });
    const post = await request(gw.port, { path: '/posted', method: 'POST', body: 'twelve bytes' });
    const pm = await gw.run.waitFor(/\{"method":"POST","path":"\/posted"[^\n]*\}/, 3000);
    assert.is(JSON.parse(pm[0]).bytes_in, 12);
    assert.is(JSON.parse(pm[0]).bytes_out, post.text.length);
    const text = await metricsText(gw.run.adminPort);
    assert.match(text, /sluice_gateway_requests_total\{route="default\/r",backend="default\/a",class="2xx"\} 2/);
    assert.match(text, /sluice_gateway_request_duration_seconds_count\{route="default\/r"\} 2/);
    assert.match(text, /sluice_gateway_upstream_duration_seconds_bucket\{backend="default\/a",le="\+Inf"\} 2/);
  } finally {
    await gw.stop();
  }
});

t('bodies stream on plain and retry routes (past maxBodyBytes); buffered routes (timeouts) answer 413 past it', async () => {
  const big = await startBig();
  const settings = `---\n${SL}\nkind: GatewaySettings\nmetadata: { name: s }\nspec: { maxBodyBytes: 1048576, accessLog: { enabled: false } }\n`;
  const gw = await startGateway(
    GATEWAY + backend('big', big.addr) + settings +
      `---\n${GW}\nkind: HTTPRoute\nmetadata: { name: r }\nspec:\n  parentRefs: [{ name: gw }]\n  rules:\n    - matches: [{ path: { value: /retry } }]\n      retry: { attempts: 1, codes: [503] }\n      backendRefs: [{ name: big }]\n    - matches: [{ path: { value: /timed } }]\n      timeouts: { request: 10s }\n      backendRefs: [{ name: big }]\n    - backendRefs: [{ name: big }]\n`,
  );
  try {
    const size = 6 * 1024 * 1024;
    const down = await request(gw.port, { path: `/download/${size}` });
    assert.is(down.status, 200);
    assert.is(down.text.length, size);
    const up = await request(gw.port, { path: '/upload', method: 'POST', body: 'y'.repeat(size) });
    assert.is(up.status, 200);
    assert.is(up.text, `got ${size}`);
    const viaRetry = await request(gw.port, { path: `/retry/download/${size}` });
    assert.is(viaRetry.status, 200);
    assert.is(viaRetry.text.length, size);
    const upRetry = await request(gw.port, { path: '/retry/upload', method: 'PUT', body: 'y'.repeat(2 * 1024 * 1024) });
    assert.is(upRetry.text, `got ${2 * 1024 * 1024}`);
    const refused = await request(gw.port, { path: '/timed/upload', method: 'POST', body: 'y'.repeat(2 * 1024 * 1024) });
    assert.is(refused.status, 413);
  } finally {
    await gw.stop();
    await big.close();
  }
});

/** An upstream that sends /download/<n> bytes and counts what is uploaded. */
async function startBig(): Promise<{ addr: string; close(): Promise<void> }> {
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      const m = /\/download\/(\d+)$/.exec(req.url ?? '');
      if (m) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const total = Number(m[1]);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
            sent += piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      } else res.end(`got ${n}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    addr: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

t('sluice gateway without a config serves the embedded demo and prints where to send requests', async () => {
  const [p, pa, pb] = await Promise.all([freePort(), freePort(), freePort()]);
  const run = await startSluice(['gateway', '--admin-port=0'], { env: { SLUICE_GATEWAY_DEMO_PORTS: `${p},${pa},${pb}` }, ready: new RegExp(`listening on 127.0.0.1:${pb}`) });
  try {
    assert.match(run.log(), new RegExp(`curl -s http://127.0.0.1:${p}/a/hello`));
    const ra = await request(p, { path: '/a/hello' });
    assert.is(ra.status, 200);
    assert.is(ra.headers['x-backend'], 'demo-a');
    const rb = await request(p, { path: '/anything', headers: { 'x-backend': 'b' } });
    assert.is(rb.headers['x-backend'], 'demo-b');
    const rr = await request(p, { path: '/old' });
    assert.is(rr.status, 301);
    const split = { 'demo-a': 0, 'demo-b': 0 } as Record<string, number>;
    for (let i = 0; i < 40; i++) {
      const r = await request(p, { path: '/' });
      assert.is(r.headers['x-served-by'], 'sluice-gateway');
      assert.match(r.text, /"x-gateway-demo": "yes"/);
      split[r.headers['x-backend'] as string]!++;
    }
    assert.ok(split['demo-a']! > split['demo-b']!, `80/20 split: ${JSON.stringify(split)}`);
  } finally {
    await run.stop('SIGKILL');
  }
});

t('the example gateway scripts (backends, PipelineModule) type-check against the API', () => {
  const r = spawnSync(process.execPath, [binSluice, 'check', 'examples/gateway/backends.ts', 'examples/gateway/modules/order-check.ts'], { cwd: repoRoot, env: { ...process.env, SLUICE_DIST: distRoot }, encoding: 'utf8', timeout: 60000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

t('an invalid config is refused at start with the resource, field path and reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gw-bad-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, GATEWAY.replace('${PORT}', '1') + backend('a', '127.0.0.1:1') + routeTo('a').replace('rules:', 'rules:\n    - matches: [{ path: { type: Glob, value: /x } }]\n      backendRefs: [{ name: a }]'));
  const r = spawnSync(process.execPath, [binSluice, 'gateway', file, '--admin-port=-1'], { env: { ...process.env, SLUICE_DIST: distRoot }, encoding: 'utf8', timeout: 15000 });
  assert.is.not(r.status, 0);
  assert.match(r.stderr + r.stdout, /HTTPRoute default\/r: spec\.rules\[0\]\.matches\[0\]\.path\.type: expected one of Exact, PathPrefix, RegularExpression, got 'Glob'/);
});

/** A plain TCP server recording the first bytes of each connection, answering `name`. */
async function tcpServer(name: string): Promise<{ port: number; firsts: Buffer[]; close(): Promise<void> }> {
  const firsts: Buffer[] = [];
  const socks = new Set<net.Socket>();
  const s = net.createServer((c) => {
    socks.add(c);
    c.once('data', (d) => {
      firsts.push(d);
      c.end(`${name}\n`);
    });
    c.on('error', () => {});
    c.on('close', () => socks.delete(c));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as net.AddressInfo).port,
    firsts,
    close: () =>
      new Promise((r) => {
        for (const c of socks) c.destroy();
        s.close(() => r());
      }),
  };
}

function tcpExchange(port: number, send: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(send));
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('close', () => resolve(out));
    c.on('error', reject);
  });
}

/** A real ClientHello for `servername`, captured from node:tls against a plain TCP server. */
async function clientHello(servername: string): Promise<Buffer> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const got = new Promise<Buffer>((resolve) => srv.once('connection', (c) => c.once('data', (d) => (resolve(d), c.destroy()))));
  const s = tls.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, servername, rejectUnauthorized: false });
  s.on('error', () => {});
  const hello = await got;
  s.destroy();
  srv.close();
  return hello;
}

/** Sends a ClientHello for `servername` through the gateway; the backend (not TLS) answers its name in clear. */
async function sniExchange(port: number, servername: string): Promise<string> {
  const hello = await clientHello(servername);
  return tcpExchange(port, hello);
}

t('TCPRoute forwards bytes; TLSRoute passthrough routes by SNI', async () => {
  const [tcpA, sniA, sniW, sniDefault] = await Promise.all([tcpServer('tcp-a'), tcpServer('sni-a'), tcpServer('sni-wild'), tcpServer('sni-default')]);
  const [tcpPort, tlsPort] = await Promise.all([freePort(), freePort()]);
  const config = (httpPort: number) => `${GW}
kind: Gateway
metadata: { name: gw }
spec:
  addresses: [{ value: 127.0.0.1 }]
  listeners:
    - { name: http, port: ${httpPort}, protocol: HTTP }
    - { name: tcp, port: ${tcpPort}, protocol: TCP }
    - { name: tls, port: ${tlsPort}, protocol: TLS, tls: { mode: Passthrough } }
${backend('tcp-a', `127.0.0.1:${tcpA.port}`)}${backend('sni-a', `127.0.0.1:${sniA.port}`)}${backend('sni-wild', `127.0.0.1:${sniW.port}`)}${backend('sni-default', `127.0.0.1:${sniDefault.port}`)}---
${GW}
kind: TCPRoute
metadata: { name: tcp }
spec:
  parentRefs: [{ name: gw, sectionName: tcp }]
  rules: [{ backendRefs: [{ name: tcp-a }] }]
---
${GW}
kind: TLSRoute
metadata: { name: exact }
spec:
  parentRefs: [{ name: gw, sectionName: tls }]
  hostnames: [a.example.com]
  rules: [{ backendRefs: [{ name: sni-a }] }]
---
${GW}
kind: TLSRoute
metadata: { name: wild }
spec:
  parentRefs: [{ name: gw, sectionName: tls }]
  hostnames: ["*.example.com"]
  rules: [{ backendRefs: [{ name: sni-wild }] }]
---
${GW}
kind: TLSRoute
metadata: { name: fallback }
spec:
  parentRefs: [{ name: gw, sectionName: tls }]
  rules: [{ backendRefs: [{ name: sni-default }] }]
`;
  const gw = await startGateway(config);
  try {
    assert.is(await tcpExchange(tcpPort, 'hello'), 'tcp-a\n');
    assert.is(tcpA.firsts[0]?.toString(), 'hello');
    assert.match(await sniExchange(tlsPort, 'a.example.com'), /sni-a/);
    assert.match(await sniExchange(tlsPort, 'b.example.com'), /sni-wild/);
    assert.match(await sniExchange(tlsPort, 'other.test'), /sni-default/);
    // The backend got the ClientHello untouched (a TLS handshake record).
    assert.is(sniA.firsts[0]?.[0], 22);
    const m = await metricsText(gw.run.adminPort);
    assert.match(m, /sluice_gateway_l4_connections_total\{route="TLSRoute\/default\/exact",backend="default\/sni-a",outcome="forwarded"\} 1/);
    assert.match(m, /sluice_gateway_l4_connections_total\{route="TCPRoute\/default\/tcp",backend="default\/tcp-a",outcome="forwarded"\} 1/);
  } finally {
    await gw.stop();
    await Promise.all([tcpA, sniA, sniW, sniDefault].map((s) => s.close()));
  }
});

function httpsGet(port: number, path: string, servername: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, servername, headers: { host: servername }, rejectUnauthorized: false, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
(hasOpenssl ? t : t.skip)('HTTPS listener terminates TLS (certificate files) and routes as HTTP; TLS Terminate + TLSRoute; reload keeps both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gw-tls-'));
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=secure.test', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { encoding: 'utf8' });
  assert.is(gen.status, 0, gen.stderr);
  const [tlsPort, termPort] = await Promise.all([freePort(), freePort()]);
  const plain = await tcpServer('plain-behind-tls');
  const config = (httpPort: number) => `${GW}
kind: Gateway
metadata: { name: gw }
spec:
  addresses: [{ value: 127.0.0.1 }]
  listeners:
    - { name: http, port: ${httpPort}, protocol: HTTP }
    - { name: https, port: ${tlsPort}, protocol: HTTPS, tls: { certificateRefs: [{ kind: Certificate, name: c }] } }
    - { name: tls-term, port: ${termPort}, protocol: TLS, tls: { mode: Terminate, certificateRefs: [{ kind: Certificate, name: c }] } }
---
${SL}
kind: Certificate
metadata: { name: c }
spec: { certFile: ${join(dir, 'tls.crt')}, keyFile: ${join(dir, 'tls.key')} }
${backend('a', a.addr)}---
${GW}
kind: HTTPRoute
metadata: { name: r }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches: [{ path: { value: /go-secure } }]
      filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /there } } }]
    - backendRefs: [{ name: a }]
${backend('plain', `127.0.0.1:${plain.port}`)}---
${GW}
kind: TLSRoute
metadata: { name: term }
spec:
  parentRefs: [{ name: gw, sectionName: tls-term }]
  hostnames: [secure.test]
  rules: [{ backendRefs: [{ name: plain }] }]
`;
  const gw = await startGateway(config);
  try {
    const r = await httpsGet(tlsPort, '/over-tls', 'secure.test');
    assert.is(r.status, 200);
    const seen = JSON.parse(r.text);
    assert.is(seen.endpoint, 'a');
    assert.is(seen.headers['x-forwarded-proto'], 'https');
    assert.is(seen.headers['x-forwarded-for'], '127.0.0.1');
    const red = await httpsGet(tlsPort, '/go-secure', 'secure.test');
    assert.is(red.headers.location, `https://secure.test:${tlsPort}/there`);
    // A reload keeps the TLS port serving.
    gw.run.proc.kill('SIGHUP');
    await gw.run.waitFor(/reloaded/, 5000);
    assert.is((await httpsGet(tlsPort, '/again', 'secure.test')).status, 200);
    // Plain HTTP on the other listener still works.
    assert.is((await request(gw.port, { path: '/plain' })).status, 200);
    // TLS Terminate + TLSRoute: decrypted bytes reach a plain TCP backend, chosen by SNI.
    const answer = await new Promise<string>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port: termPort, servername: 'secure.test', rejectUnauthorized: false }, () => c.write('hello in clear'));
      let out = '';
      c.on('data', (d) => (out += d));
      c.on('end', () => resolve(out));
      c.on('error', reject);
    });
    assert.is(answer, 'plain-behind-tls\n');
    assert.is(plain.firsts[0]?.toString(), 'hello in clear');
  } finally {
    await gw.stop();
    await plain.close();
  }
});

(hasOpenssl ? t : t.skip)('examples/gateway runs end to end (ports moved, setup.sh material)', async () => {
  const { cpSync, readdirSync, readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gw-example-'));
  cpSync(join(repoRoot, 'examples/gateway'), dir, { recursive: true });
  const ports = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => freePort()));
  const map: Record<string, number> = { '8080': ports[0]!, '8443': ports[1]!, '8444': ports[2]!, '8445': ports[3]!, '9001': ports[4]!, '9002': ports[5]!, '9003': ports[6]! };
  const move = (text: string) => text.replace(/\b(8080|8443|8444|8445|9001|9002|9003)\b/g, (p) => String(map[p]));
  for (const f of readdirSync(join(dir, 'config'))) writeFileSync(join(dir, 'config', f), move(readFileSync(join(dir, 'config', f), 'utf8')));
  writeFileSync(join(dir, 'backends.ts'), move(readFileSync(join(dir, 'backends.ts'), 'utf8')));
  const setup = spawnSync('bash', [join(dir, 'setup.sh')], { encoding: 'utf8' });
  assert.is(setup.status, 0, setup.stderr);
  const backends = await startSluice([join(dir, 'backends.ts'), '--admin-port=-1'], { ready: new RegExp(`listening on 127.0.0.1:${map['9003']}`) });
  const gw = await startSluice(['gateway', join(dir, 'config'), '--admin-port=0'], { ready: /tcp:\/\// });
  try {
    await gw.waitFor(new RegExp(`listening on 127.0.0.1:${map['8445']}`));
    const token = readFileSync(join(dir, 'certs/token.jwt'), 'utf8').trim();
    const api = await request(map['8080']!, { path: '/v1/items', host: 'api.test', headers: { authorization: `Bearer ${token}` } });
    assert.is(api.status, 200, api.text);
    assert.match(api.text, /"x-user": "demo-user"/);
    assert.is(api.headers['cache-control'], 'no-store');
    assert.is((await request(map['8080']!, { path: '/v1/items', host: 'api.test' })).status, 401);
    const tlsRes = await httpsGet(map['8443']!, '/v2/items', 'api.test').catch((e: Error) => ({ status: 0, headers: {}, text: e.message }));
    assert.is(tlsRes.status, 401, 'HTTPS listener reached (no token)');
    const shop = await request(map['8080']!, { path: '/', host: 'a.shop.test' });
    assert.is(shop.status, 200);
    assert.match(String(shop.headers['set-cookie']), /^web-session=/);
    assert.is((await request(map['8080']!, { path: '/old-home', host: 'a.shop.test' })).status, 301);
    const order = await request(map['8080']!, { path: '/orders/7', method: 'POST', host: 'api.test', body: 'x', headers: { authorization: `Bearer ${token}` } });
    assert.is(order.status, 415, 'the PipelineModule answered');
  } finally {
    await gw.stop('SIGKILL');
    await backends.stop('SIGKILL');
  }
});

t.run();
