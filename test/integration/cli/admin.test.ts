// The admin API of a running Sluice: /status, /metrics, loopback-only by default.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { freePort, startSluice, tempScript, type Running } from '../../helpers/sluice.ts';
import { request } from '../../helpers/examples.ts';
import { admin, metric } from '../../helpers/cli.ts';

let sluice: Running;
let portA = 0;
let portB = 0;

test.before(async () => {
  portA = await freePort();
  portB = await freePort();
  const script = tempScript(`
    import { pipy, Message } from 'sluice';
    pipy.listen(${portA}, ($) => $.serveHTTP(new Message('a\\n')));
    pipy.listen('127.0.0.1:${portB}', ($) => $.serveHTTP((req) => new Message({ status: req.head.path === '/missing' ? 404 : 200 }, 'b\\n')));
  `);
  sluice = await startSluice([script, '--admin-port=0']);
});
test.after(async () => {
  await sluice?.stop();
});

test('admin: --admin-port=0 picks a port and binds 127.0.0.1 only', async () => {
  assert.ok(sluice.adminPort > 0);
  assert.match(sluice.log(), new RegExp(`admin API on http://127\\.0\\.0\\.1:${sluice.adminPort}/`));
  const v6 = await new Promise<string>((resolve) => {
    const s = net.connect(sluice.adminPort, '::1');
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  assert.is(v6, 'ECONNREFUSED', 'not reachable on another address');
});

test('admin: /status is JSON listing the listeners', async () => {
  const r = await admin(sluice.adminPort, '/status');
  assert.is(r.status, 200);
  const s = JSON.parse(r.body) as { pid: number; listeners: { address: string }[]; script: string };
  assert.is(s.pid, sluice.proc.pid);
  const addrs = s.listeners.map((l) => l.address).sort();
  assert.equal(addrs, [`*:${portA}`, `127.0.0.1:${portB}`].sort());
  assert.match(s.script, /main\.ts$/);
});

test('admin: /metrics counts grow with traffic', async () => {
  const before = (await admin(sluice.adminPort, '/metrics')).body;
  for (const n of ['sluice_requests_total', 'sluice_connections_total', 'sluice_responses_total{class="2xx"}']) {
    assert.ok(Number.isFinite(metric(before, n)), `${n} in:\n${before}`);
  }
  for (let i = 0; i < 3; i++) assert.is((await request(portA, '/')).status, 200);
  assert.is((await request(portB, '/missing')).status, 404);
  const after = (await admin(sluice.adminPort, '/metrics')).body;
  assert.is(metric(after, 'sluice_requests_total') - metric(before, 'sluice_requests_total'), 4);
  assert.is(metric(after, 'sluice_connections_total') - metric(before, 'sluice_connections_total'), 4);
  assert.is(metric(after, 'sluice_responses_total{class="2xx"}') - metric(before, 'sluice_responses_total{class="2xx"}'), 3);
  assert.is(metric(after, 'sluice_responses_total{class="4xx"}') - metric(before, 'sluice_responses_total{class="4xx"}'), 1);
  assert.is(metric(after, `sluice_listener_connections_total{listener="127.0.0.1:${portB}"}`), 1);
});

test('admin: unknown paths are 404 with a hint', async () => {
  const r = await admin(sluice.adminPort, '/nope');
  assert.is(r.status, 404);
  assert.match(r.body, /\/status/);
});

test.run();
