// Gateway backends under failure: retries (policy and HTTPRoute retry, connect failures,
// idempotent-only), request and backendRequest timeouts, active health checks (ejection and
// recovery), passive outlier ejection (and return), circuit breaking, and the balancers
// (consistent hash, cookie session persistence, least request). One gateway for all.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../helpers/sluice.ts';
import { startEcho, startGateway, request, backend, metricsText, sleep, GATEWAY, GW, SL, type Echo, type Gateway } from '../helpers/gateway.ts';

const t = suite('gateway: retries, timeouts, health, balancing');

const E: Record<string, Echo> = {};
let gw: Gateway;
let closedPort = 0;

const policy = (name: string, target: string, spec: string) => `---
${SL}
kind: BackendTrafficPolicy
metadata: { name: ${name} }
spec:
  targetRefs: [{ kind: Backend, name: ${target} }]
${spec}`;

const rule = (path: string, backendName: string, extra = '') => `    - matches: [{ path: { value: ${path} } }]
      backendRefs: [{ name: ${backendName} }]
${extra}`;

t.before(async () => {
  const names = ['good', 'bad', 'alive', 'once', 'slow', 'h1', 'h2', 'o1', 'o2', 'cb', 'cc', 'c1', 'c2', 'c3', 's1', 's2', 'lrSlow', 'lrFast'];
  const all = await Promise.all(names.map((n) => startEcho(n)));
  names.forEach((n, i) => (E[n] = all[i]!));
  closedPort = await freePort();
  E.bad!.status = 503;
  E.o2!.status = 500;
  E.slow!.delay = 2500;
  E.cb!.delay = 400;
  E.cc!.delay = 400;
  E.lrSlow!.delay = 600;
  // Fails the first time a path is asked for, then succeeds.
  const asked = new Set<string>();
  E.once!.status = (s) => {
    if (asked.has(s.path)) return 200;
    asked.add(s.path);
    return 500;
  };
  const config =
    GATEWAY +
    backend('flaky', E.good!.addr, E.bad!.addr) +
    policy('flaky', 'flaky', `  retry: { attempts: 2, backoff: 10ms, retryOn: { triggers: [gateway-error] } }\n`) +
    backend('down', `127.0.0.1:${closedPort}`, E.alive!.addr) +
    policy('down', 'down', `  retry: { attempts: 2, backoff: 10ms, retryOn: { triggers: [connect-failure] } }\n`) +
    backend('norety', `127.0.0.1:${closedPort}`) +
    backend('once', E.once!.addr) +
    backend('slow', E.slow!.addr) +
    backend('hc', E.h1!.addr, E.h2!.addr) +
    policy('hc', 'hc', `  healthCheck: { active: { path: /healthz, interval: 100ms, timeout: 200ms, unhealthyThreshold: 2, healthyThreshold: 1 } }\n`) +
    backend('ol', E.o1!.addr, E.o2!.addr) +
    policy('ol', 'ol', `  healthCheck: { passive: { consecutiveErrors: 3, baseEjectionTime: 1s, maxEjectionPercent: 50 } }\n`) +
    backend('cb', E.cb!.addr) +
    policy('cb', 'cb', `  circuitBreaker: { maxRequests: 1 }\n`) +
    backend('cc', E.cc!.addr) +
    policy('cc', 'cc', `  circuitBreaker: { maxConnections: 1, maxPendingRequests: 1 }\n`) +
    backend('ch', E.c1!.addr, E.c2!.addr, E.c3!.addr) +
    backend('chc', E.c1!.addr, E.c2!.addr, E.c3!.addr) +
    policy('chc', 'chc', `  loadBalancer: { type: ConsistentHash, consistentHash: { type: Cookie, cookie: { name: uid } } }\n`) +
    policy('ch', 'ch', `  loadBalancer: { type: ConsistentHash, consistentHash: { type: Header, header: { name: x-user } } }\n`) +
    backend('chip', E.c1!.addr, E.c2!.addr, E.c3!.addr) +
    policy('chip', 'chip', `  loadBalancer: { type: ConsistentHash, consistentHash: { type: SourceIP } }\n`) +
    backend('sp', E.s1!.addr, E.s2!.addr) +
    policy('sp', 'sp', `  sessionPersistence: { type: Cookie, cookieName: gw-session }\n`) +
    backend('lr', E.lrSlow!.addr, E.lrFast!.addr) +
    policy('lr', 'lr', `  loadBalancer: { type: LeastRequest }\n`) +
    `---
${GW}
kind: HTTPRoute
metadata: { name: r }
spec:
  parentRefs: [{ name: gw }]
  rules:
${rule('/flaky', 'flaky')}${rule('/down', 'down')}${rule('/noretry', 'norety')}${rule('/once', 'once', '      retry: { codes: [500], attempts: 1, backoff: 10ms }\n')}${rule('/once-noretry', 'once')}${rule('/slow-request', 'slow', '      timeouts: { request: 300ms }\n')}${rule('/slow-backend', 'slow', '      timeouts: { backendRequest: 200ms }\n')}${rule('/hc', 'hc')}${rule('/ol', 'ol')}${rule('/cb', 'cb')}${rule('/ch', 'ch')}${rule('/chc', 'chc')}${rule('/chip', 'chip')}${rule('/cc', 'cc')}${rule('/sp', 'sp')}${rule('/lr', 'lr')}`;
  gw = await startGateway(config);
});

t.after(async () => {
  await gw?.stop();
  await Promise.all(Object.values(E).map((e) => e.close()));
});

t('policy retry: a 503 endpoint is retried on another one, the client sees 200', async () => {
  for (let i = 0; i < 6; i++) {
    const r = await request(gw.port, { path: '/flaky' });
    assert.is(r.status, 200, `request ${i}: ${r.text}`);
    assert.is(r.echo?.endpoint, 'good');
  }
  assert.ok(E.bad!.seen.length >= 2, 'the failing endpoint was tried');
  const m = await metricsText(gw.run.adminPort);
  assert.match(m, /sluice_gateway_retries_total\{route="default\/r",backend="default\/flaky"\} [1-9]/);
  assert.match(m, /sluice_gateway_upstream_requests_total\{backend="default\/flaky",endpoint="127.0.0.1:\d+",class="5xx"\} [1-9]/);
});

t('policy retry: a refused connection is retried on another endpoint', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await request(gw.port, { path: '/down' });
    assert.is(r.status, 200);
    assert.is(r.echo?.endpoint, 'alive');
  }
});

t('no retry policy: a refused connection is 503', async () => {
  const r = await request(gw.port, { path: '/noretry' });
  assert.is(r.status, 503);
});

t('HTTPRoute retry: codes and attempts; only idempotent methods', async () => {
  const r = await request(gw.port, { path: '/once/get' });
  assert.is(r.status, 200, 'GET retried after a 500');
  assert.is(E.once!.seen.filter((s) => s.path === '/once/get').length, 2);
  const p = await request(gw.port, { path: '/once/post', method: 'POST', body: 'x' });
  assert.is(p.status, 500, 'POST is not retried by default');
  assert.is(E.once!.seen.filter((s) => s.path === '/once/post').length, 1);
  const n = await request(gw.port, { path: '/once-noretry/x' });
  assert.is(n.status, 500, 'a rule without retry passes the 500 on');
});

t('timeouts.request: 504 when the backend is slower', async () => {
  const t0 = Date.now();
  const r = await request(gw.port, { path: '/slow-request' });
  const ms = Date.now() - t0;
  assert.is(r.status, 504);
  assert.ok(ms >= 250 && ms < 2000, `answered after ${ms} ms`);
});

t('timeouts.backendRequest: 504 per attempt', async () => {
  const t0 = Date.now();
  const r = await request(gw.port, { path: '/slow-backend' });
  const ms = Date.now() - t0;
  assert.is(r.status, 504);
  assert.ok(ms >= 150 && ms < 2000, `answered after ${ms} ms`);
  const fast = await request(gw.port, { path: '/slow-backend', headers: { 'x-echo-delay': '0' } });
  assert.is(fast.status, 200);
});

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

async function endpointsOf(path: string, n: number, headers?: Record<string, string>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await request(gw.port, { path, headers });
    out.push(r.status === 200 ? r.echo!.endpoint : `status ${r.status}`);
  }
  return out;
}

t('active health check: an unhealthy endpoint gets no traffic, and comes back', async () => {
  assert.equal(new Set(await endpointsOf('/hc', 6)), new Set(['h1', 'h2']));
  E.h2!.health = 500;
  await until(async () => (await endpointsOf('/hc', 4)).every((e) => e === 'h1'), 5000, 'h2 marked unhealthy');
  assert.equal(new Set(await endpointsOf('/hc', 8)), new Set(['h1']), 'h2 ejected');
  assert.match(await metricsText(gw.run.adminPort), /sluice_gateway_endpoint_healthy\{backend="default\/hc",endpoint="127.0.0.1:\d+"\} 0/);
  E.h2!.health = 200;
  await until(async () => (await endpointsOf('/hc', 4)).includes('h2'), 5000, 'h2 healthy again');
  assert.equal(new Set(await endpointsOf('/hc', 6)), new Set(['h1', 'h2']), 'h2 back');
});

t('passive outlier ejection: consecutive 5xx eject an endpoint for baseEjectionTime', async () => {
  const first = await endpointsOf('/ol', 8);
  assert.is(first.filter((e) => e === 'status 500').length, 3, `o2 answered 3 times before ejection: ${first}`);
  const during = await endpointsOf('/ol', 6);
  assert.equal(new Set(during), new Set(['o1']));
  assert.match(await metricsText(gw.run.adminPort), /sluice_gateway_ejections_total\{backend="default\/ol",endpoint="127.0.0.1:\d+"\} 1/);
  await sleep(1100);
  const after = await endpointsOf('/ol', 4);
  assert.ok(after.includes('status 500'), `o2 back after the ejection time: ${after}`);
});

t('circuit breaker: maxRequests in flight, the rest get 503', async () => {
  const [r1, r2] = await Promise.all([request(gw.port, { path: '/cb' }), sleep(50).then(() => request(gw.port, { path: '/cb' }))]);
  assert.equal([r1.status, r2.status].sort(), [200, 503]);
  assert.is((r1.status === 503 ? r1 : r2).headers['x-sluice-overflow'], 'max-requests');
});

t('circuit breaker: maxConnections per endpoint, then maxPendingRequests wait, beyond that 503', async () => {
  const t0 = Date.now();
  const rs = await Promise.all([0, 30, 60].map((d) => sleep(d).then(() => request(gw.port, { path: '/cc' }))));
  const statuses = rs.map((r) => r.status);
  assert.equal([...statuses].sort(), [200, 200, 503], `statuses ${statuses}`);
  assert.ok(Date.now() - t0 >= 750, 'the pending request waited for the connection');
});

t('consistent hash on a cookie: a cookie value sticks to one endpoint', async () => {
  const used = new Set<string>();
  for (let u = 0; u < 12; u++) {
    const eps = new Set(await endpointsOf('/chc', 3, { cookie: `a=1; uid=u${u}` }));
    assert.is(eps.size, 1);
    used.add([...eps][0]!);
  }
  assert.ok(used.size >= 2);
});

t('consistent hash on the source IP: one client, one endpoint', async () => {
  assert.is(new Set(await endpointsOf('/chip', 10)).size, 1);
});

t('consistent hash on a header: a key sticks to one endpoint, keys spread', async () => {
  const used = new Set<string>();
  for (let u = 0; u < 20; u++) {
    const eps = new Set(await endpointsOf('/ch', 3, { 'x-user': `user-${u}` }));
    assert.is(eps.size, 1, `user-${u} went to ${[...eps]}`);
    used.add([...eps][0]!);
  }
  assert.ok(used.size >= 2, `20 keys used ${used.size} endpoint(s)`);
});

t('session persistence: the cookie pins the client to its endpoint', async () => {
  const r = await request(gw.port, { path: '/sp' });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  assert.match(setCookie, /^gw-session=[A-Za-z0-9_-]+; Path=\/; HttpOnly/);
  const cookie = setCookie.split(';')[0]!;
  const pinned = r.echo!.endpoint;
  for (let i = 0; i < 6; i++) {
    const again = await request(gw.port, { path: '/sp', headers: { cookie } });
    assert.is(again.echo?.endpoint, pinned);
    assert.is(again.headers['set-cookie'], undefined, 'no new cookie while pinned');
  }
  assert.equal(new Set(await endpointsOf('/sp', 6)), new Set(['s1', 's2']), 'without the cookie both serve');
});

t('least request: a busy endpoint gets fewer requests than round robin would give it', async () => {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < 8; i++) {
    pending.push(request(gw.port, { path: '/lr' }));
    await sleep(60);
  }
  await Promise.all(pending);
  assert.ok(E.lrSlow!.seen.length <= 2, `slow endpoint got ${E.lrSlow!.seen.length} of 8`);
});

t.run();
