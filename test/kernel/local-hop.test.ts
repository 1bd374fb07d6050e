// test/kernel/local-hop.test.ts: sockops + sk_msg local-hop bypass on a
// cgroup of its own: byte-exact 256 MiB both ways, half-close, reset, the
// sockhash empty afterwards; the same tests without acceleration (fallback).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelEnv, kernelSkipReason, mapEntries } from './helpers.ts';
import { MAP } from '../../runtime/offload/layout.gen.ts';
import { enableLocalHop } from '../../runtime/offload/index.ts';
import { readCounters } from '../../runtime/offload/maps.ts';

const skip = kernelSkipReason();
const SIZE = process.env.SLUICE_TEST_MIB ?? '256';
const HOP_PORT = '9000'; // in the policy map
const PLAIN_PORT = '9001'; // not: user-space TCP only
let env: KernelEnv | null = null;

test.before(async () => {
  if (skip) return;
  env = await KernelEnv.create('hop');
  env.up({ ports: [Number(HOP_PORT)] });
});
test.after(async () => {
  await env?.destroy();
});

function counters(): Record<string, number> {
  return readCounters() ?? {}; // live, not offloadStatus()'s cached copy
}

function checkTransfer(j: any, mib = Number(SIZE)): void {
  assert.ok(j, 'child printed a result');
  assert.is(j.clientSent.bytes, mib * 1048576);
  assert.is(j.serverRecv.bytes, j.clientSent.bytes);
  assert.is(j.serverRecv.hash, j.clientSent.hash, 'client -> server identical, in order');
  assert.is(j.clientRecv.bytes, j.serverSent.bytes);
  assert.is(j.clientRecv.hash, j.serverSent.hash, 'server -> client identical, in order');
}

async function waitEmpty(): Promise<number> {
  // sockets leave the sockhash as they close; give the last FIN a moment
  for (let i = 0; i < 50; i++) {
    const n = mapEntries(MAP.HOP_SOCKS);
    if (n === 0) return 0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return mapEntries(MAP.HOP_SOCKS);
}

const t = skip ? test.skip : test;
if (skip) console.log(`SKIP: ${skip}`);

for (const [label, port] of [['sk_msg', HOP_PORT], ['fallback', PLAIN_PORT]] as const) {
  t(`${label}: ${SIZE} MiB both ways at once, byte-exact`, async () => {
    const before = counters();
    const r = await env!.run('fixtures/hop-child.js', ['bulk', port, SIZE]);
    assert.is(r.code, 0, r.stderr);
    checkTransfer(r.json);
    const after = counters();
    const redirected = after.HOP_BYTES! - before.HOP_BYTES!;
    if (label === 'sk_msg') {
      assert.is(after.HOP_SOCK_ADDED! - before.HOP_SOCK_ADDED!, 2, 'both ends inserted');
      assert.is(redirected, 2 * Number(SIZE) * 1048576, 'every byte went through sk_msg');
    } else {
      assert.is(redirected, 0, 'nothing accelerated off-policy');
    }
    assert.is(await waitEmpty(), 0, 'sockhash empty afterwards');
  });
  t(`${label}: half-close`, async () => {
    const r = await env!.run('fixtures/hop-child.js', ['halfclose', port, SIZE]);
    assert.is(r.code, 0, r.stderr);
    checkTransfer(r.json);
    assert.is(await waitEmpty(), 0, 'sockhash empty afterwards');
  });
  t(`${label}: abrupt close`, async () => {
    const r = await env!.run('fixtures/hop-child.js', ['abrupt', port, SIZE]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(['ECONNRESET', 'end', 'close'].includes(r.json.serverSaw), `server saw ${r.json.serverSaw}`);
    assert.is(await waitEmpty(), 0, 'sockhash empty afterwards');
  });
}

t('IPv4-mapped IPv6 sockets are accelerated too', async () => {
  const before = counters();
  const r = await env!.run('fixtures/hop-child.js', ['bulk', HOP_PORT, '16'], { env: { HOP_HOST: '::ffff:127.0.0.1' } });
  assert.is(r.code, 0, r.stderr);
  checkTransfer(r.json, 16);
  assert.is(counters().HOP_BYTES! - before.HOP_BYTES!, 2 * 16 * 1048576);
  assert.is(await waitEmpty(), 0);
});

t('enableLocalHop() adds a port through the pinned policy map', async () => {
  assert.ok(enableLocalHop(9002));
  const before = counters();
  const r = await env!.run('fixtures/hop-child.js', ['bulk', '9002', '8']);
  assert.is(r.code, 0, r.stderr);
  assert.is(counters().HOP_BYTES! - before.HOP_BYTES!, 2 * 8 * 1048576);
});

t('handOff() refuses sockets the local hop accelerates (user space keeps relaying them)', async () => {
  assert.ok(enableLocalHop(9003));
  const r = await env!.run('fixtures/guard-child.js', ['9003']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.json.handedOff, false);
  assert.match(r.json.refusal, /local hop/);
});

test.run();
