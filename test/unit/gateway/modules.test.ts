// Unit tests of the gateway's pure pieces: hostname intersection, prefix replacement, SNI
// parsing, balancers, the token bucket, traceparent handling, cookies.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tls from 'node:tls';
import net from 'node:net';
import { effectiveHostnames, hostMatches, hostOf, normalisePath } from '../../../pipelines/gateway/router.ts';
import { replacePrefix } from '../../../pipelines/gateway/compile.ts';
import { cookie } from '../../../pipelines/gateway/backends.ts';
import { parseSNI } from '../../../pipelines/modules/sni.ts';
import { Endpoint, createPicker } from '../../../pipelines/modules/balancer.ts';
import { LocalRateLimit } from '../../../pipelines/modules/rate-limit.ts';
import { continueTrace } from '../../../pipelines/modules/tracing.ts';
import { OutlierDetector } from '../../../pipelines/modules/outlier.ts';
import { attemptsFor, backoffDelay, shouldRetry } from '../../../pipelines/modules/retry.ts';

test('hostnames: wildcard suffix matching and listener intersection (spec)', () => {
  assert.ok(hostMatches('*.example.com', 'a.example.com'));
  assert.ok(hostMatches('*.example.com', 'a.b.example.com'));
  assert.not.ok(hostMatches('*.example.com', 'example.com'));
  assert.equal(effectiveHostnames([], null), ['*']);
  assert.equal(effectiveHostnames([], '*.example.com'), ['*.example.com']);
  assert.equal(effectiveHostnames(['a.example.com', 'other.org'], '*.example.com'), ['a.example.com']);
  assert.equal(effectiveHostnames(['*.example.com'], 'a.example.com'), ['a.example.com']);
  assert.equal(effectiveHostnames(['*.a.example.com'], '*.example.com'), ['*.a.example.com']);
  assert.equal(effectiveHostnames(['*.example.com'], '*.a.example.com'), ['*.a.example.com']);
  assert.is(effectiveHostnames(['other.org'], 'a.example.com'), null);
  assert.is(hostOf('Example.COM:8080'), 'example.com');
  assert.is(hostOf('[::1]:80'), '[::1]');
  assert.is(hostOf('example.com.'), 'example.com');
});

test('path normalisation: dot segments, encoded dots, repeated slashes', () => {
  assert.is(normalisePath('/public/../admin'), '/admin');
  assert.is(normalisePath('/public/%2e%2E/admin'), '/admin');
  assert.is(normalisePath('/a/./b'), '/a/b');
  assert.is(normalisePath('/a//b///c'), '/a/b/c');
  assert.is(normalisePath('/a/b/..'), '/a/');
  assert.is(normalisePath('/../..'), '/');
  assert.is(normalisePath('/a/'), '/a/');
  assert.is(normalisePath('/a/.'), '/a/');
});

test('ReplacePrefixMatch keeps segment boundaries (spec examples)', () => {
  assert.is(replacePrefix('/foo/bar', '/foo', '/xyz'), '/xyz/bar');
  assert.is(replacePrefix('/foo/bar', '/foo', '/xyz/'), '/xyz/bar');
  assert.is(replacePrefix('/foo', '/foo', '/xyz'), '/xyz');
  assert.is(replacePrefix('/foo/', '/foo', '/xyz'), '/xyz/');
  assert.is(replacePrefix('/foo/bar', '/foo', '/'), '/bar');
  assert.is(replacePrefix('/foo', '/foo', '/'), '/');
  assert.is(replacePrefix('/anything', '/', '/api'), '/api/anything');
});

test('cookie() reads one cookie', () => {
  assert.is(cookie('a=1; sid=xyz; b=2', 'sid'), 'xyz');
  assert.is(cookie('a=1', 'sid'), null);
  assert.is(cookie(undefined, 'sid'), null);
  assert.is(cookie('xsid=1; sid=2', 'sid'), '2');
});

test('parseSNI reads the server name of a real ClientHello', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const got = new Promise<Buffer>((resolve) => srv.once('connection', (c) => c.once('data', (d) => (resolve(d), c.destroy()))));
  const s = tls.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, servername: 'Service.Example.com', rejectUnauthorized: false });
  s.on('error', () => {});
  const hello = await got;
  s.destroy();
  srv.close();
  assert.is(parseSNI(hello), 'service.example.com');
  assert.is(parseSNI(hello.subarray(0, 20)), null);
  assert.is(parseSNI(Buffer.from('GET / HTTP/1.1\r\n\r\n')), null);
});

test('round robin honours weights and skips endpoints that are down', () => {
  const eps = [new Endpoint('10.0.0.1', 80, 3), new Endpoint('10.0.0.2', 80, 1)];
  const rr = createPicker('RoundRobin', eps);
  const n: Record<string, number> = {};
  for (let i = 0; i < 400; i++) {
    const e = rr.pick(null, null)!;
    n[e.target] = (n[e.target] ?? 0) + 1;
  }
  assert.equal(n, { '10.0.0.1:80': 300, '10.0.0.2:80': 100 });
  eps[0]!.healthy = false;
  for (let i = 0; i < 10; i++) assert.is(rr.pick(null, null), eps[1]);
  eps[1]!.ejectedUntil = Date.now() + 10_000;
  assert.is(rr.pick(null, null), null);
});

test('consistent hash: a key keeps its endpoint; removing one moves only its keys', () => {
  const eps = [1, 2, 3, 4].map((i) => new Endpoint(`10.0.0.${i}`, 80, 1));
  const ring = createPicker('ConsistentHash', eps);
  const before = new Map<string, Endpoint>();
  for (let k = 0; k < 1000; k++) before.set(`k${k}`, ring.pick(`k${k}`, null)!);
  for (let k = 0; k < 1000; k++) assert.is(ring.pick(`k${k}`, null), before.get(`k${k}`));
  const counts = eps.map((e) => [...before.values()].filter((x) => x === e).length);
  for (const c of counts) assert.ok(c > 150 && c < 350, `balanced: ${counts}`);
  eps[2]!.healthy = false;
  let moved = 0;
  for (let k = 0; k < 1000; k++) {
    const now = ring.pick(`k${k}`, null)!;
    if (before.get(`k${k}`) !== eps[2] && now !== before.get(`k${k}`)) moved++;
    assert.is.not(now, eps[2]);
  }
  assert.is(moved, 0, 'keys of healthy endpoints stay');
});

test('a retry avoids the endpoint that failed when another is up', () => {
  const eps = [new Endpoint('10.0.0.1', 80, 1), new Endpoint('10.0.0.2', 80, 1)];
  for (const type of ['RoundRobin', 'Random', 'LeastRequest', 'ConsistentHash'] as const) {
    const p = createPicker(type, eps);
    for (let i = 0; i < 20; i++) assert.is(p.pick('key', eps[0]!), eps[1], type);
  }
});

test('outlier detection ejects after consecutive errors, bounded by maxEjectionPercent', () => {
  const eps = [new Endpoint('a', 1, 1), new Endpoint('b', 1, 1)];
  const ejected: string[] = [];
  const d = new OutlierDetector(eps, { consecutiveErrors: 2, baseEjectionTime: 1000, maxEjectionPercent: 50 }, (e) => ejected.push(e.host));
  d.report(eps[0]!, true);
  d.report(eps[0]!, false);
  d.report(eps[0]!, true);
  assert.equal(ejected, [], 'a success resets the count');
  d.report(eps[0]!, true);
  assert.equal(ejected, ['a']);
  d.report(eps[1]!, true);
  d.report(eps[1]!, true);
  assert.equal(ejected, ['a'], 'never more than 50% ejected');
});

test('token bucket: burst, then one per interval share; keys are separate', () => {
  const rl = new LocalRateLimit(2, 1000, 2);
  assert.is(rl.take('a'), 0);
  assert.is(rl.take('a'), 0);
  assert.ok(rl.take('a') >= 1);
  assert.is(rl.take('b'), 0);
});

test('traceparent: continued when valid, replaced when not', () => {
  const s = continueTrace('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  assert.is(s.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.match(s.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  assert.is.not(s.spanId, '00f067aa0ba902b7');
  for (const bad of [undefined, 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']) {
    const n = continueTrace(bad);
    assert.match(n.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.is.not(n.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  }
});

test('retry decisions: idempotent methods, codes, connection failures, back-off', () => {
  const p = { attempts: 2, codes: [503, 504], backoff: 10, onConnectFailure: true, allowNonIdempotent: false };
  assert.is(attemptsFor(p, 'GET'), 2);
  assert.is(attemptsFor(p, 'POST'), 0);
  assert.is(attemptsFor({ ...p, allowNonIdempotent: true }, 'POST'), 2);
  assert.is(attemptsFor(null, 'GET'), 0);
  assert.ok(shouldRetry(p, 503, ''));
  assert.not.ok(shouldRetry(p, 500, ''));
  assert.ok(shouldRetry(p, 503, 'ConnectionRefused'));
  assert.ok(shouldRetry({ ...p, codes: [] }, 502, 'ConnectionReset'), 'connection failure trigger');
  assert.not.ok(shouldRetry({ ...p, codes: [] }, 504, 'ReadTimeout'), 'timeouts only by code');
  assert.ok(shouldRetry(p, 504, 'ReadTimeout'));
  assert.equal([0, 1, 2, 3, 4].map((i) => backoffDelay(p, i)), [10, 20, 40, 80, 100]);
});

test.run();
