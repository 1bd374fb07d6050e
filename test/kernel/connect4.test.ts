// test/kernel/connect4.test.ts: cgroup/connect4 (+ connect6 for
// IPv4-mapped, + getpeername) in a cgroup and netns of the test's own.
//   L7 service: the client's connect() lands on the proxy, which recovers
//               the original VIP:port from its accepted socket;
//   L4 service: the client reaches a backend chosen in the kernel, and the
//               proxy never sees the connection;
//   getpeername shows the VIP in both; the maps are empty afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelEnv, kernelSkipReason, mapEntries } from './helpers.ts';
import { MAP } from '../../runtime/offload/layout.gen.ts';
import { setService } from '../../runtime/offload/index.ts';
import { readCounters } from '../../runtime/offload/maps.ts';
import type { ChildProcess } from 'node:child_process';

const skip = kernelSkipReason();
const t = skip ? test.skip : test;
if (skip) console.log(`SKIP: ${skip}`);

const PROXY = { address: '127.0.0.1', port: 15001 };
const L7_VIP = { address: '10.96.0.10', port: 80 };
const L4_VIP = { address: '10.96.0.11', port: 80 };
const BACKENDS = [9101, 9102];

let env: KernelEnv | null = null;
let servers: ChildProcess | null = null;
const accepts: Array<{ accepted: string; orig?: unknown; port?: number }> = [];

test.before(async () => {
  if (skip) return;
  env = await KernelEnv.create('c4');
  env.up();
  setService({ vip: L7_VIP, mode: 'l7', proxy: PROXY });
  setService({ vip: L4_VIP, mode: 'l4', backends: BACKENDS.map((port) => ({ address: '127.0.0.1', port })) });
  servers = env.spawn('fixtures/servers-child.js', [String(PROXY.port), ...BACKENDS.map(String)], { inCgroup: false });
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    servers!.stdout!.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (line.ready) resolve();
        else accepts.push(line);
      }
    });
    servers!.on('exit', (code) => reject(new Error(`servers exited ${code}`)));
  });
});
test.after(async () => {
  await env?.destroy();
});

t('L7 service: redirected to the proxy, original destination recovered, getpeername shows the VIP', async () => {
  const before = readCounters()!;
  const r = await env!.run('fixtures/connect-child.js', [`${L7_VIP.address}:${L7_VIP.port}`, `::ffff:${L7_VIP.address}:${L7_VIP.port}`]);
  assert.is(r.code, 0, r.stderr);
  const [v4, v6] = r.json;
  assert.equal(v4.answer, { via: 'proxy', orig: L7_VIP });
  assert.equal(v4.peer, L7_VIP);
  assert.equal(v6.answer, { via: 'proxy', orig: L7_VIP }, 'connect6 handles IPv4-mapped');
  assert.equal(v6.peer, { address: `::ffff:${L7_VIP.address}`, port: L7_VIP.port });
  const after = readCounters()!;
  assert.is(after.CONNECT_L7! - before.CONNECT_L7!, 2);
  assert.is(after.ORIG_CARRIED! - before.ORIG_CARRIED!, 2);
});

t('L4 service: a backend answers, the proxy never sees it', async () => {
  const proxyAcceptsBefore = accepts.filter((a) => a.accepted === 'proxy').length;
  const targets = Array.from({ length: 8 }, () => `${L4_VIP.address}:${L4_VIP.port}`);
  const r = await env!.run('fixtures/connect-child.js', targets);
  assert.is(r.code, 0, r.stderr);
  for (const v of r.json) {
    assert.is(v.answer.via, 'backend');
    assert.ok(BACKENDS.includes(v.answer.port));
    assert.equal(v.peer, L4_VIP, 'getpeername shows the VIP');
  }
  assert.is(accepts.filter((a) => a.accepted === 'proxy').length, proxyAcceptsBefore, 'proxy untouched');
});

t('addresses that are not services are left alone', async () => {
  const r = await env!.run('fixtures/connect-child.js', [`127.0.0.1:${BACKENDS[0]}`]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json[0].answer, { via: 'backend', port: BACKENDS[0] });
  assert.equal(r.json[0].peer, { address: '127.0.0.1', port: BACKENDS[0] });
});

t('original-destination maps are empty once the connections closed', async () => {
  let cookie = -1, tuple = -1;
  for (let i = 0; i < 50; i++) {
    cookie = mapEntries(MAP.ORIG_COOKIE);
    tuple = mapEntries(MAP.ORIG_TUPLE);
    if (cookie === 0 && tuple === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.is(cookie, 0, 'sluice_orig_cookie');
  assert.is(tuple, 0, 'sluice_orig_tuple');
});

test.run();
