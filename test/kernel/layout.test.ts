// test/kernel/layout.test.ts: layout.gen.ts is fresh and the codecs agree
// with it. Needs no root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LAYOUT, MAP, CTR, CONST } from '../../runtime/offload/layout.gen.ts';
import { decodeService, decodeTuple, encodeService, encodeTuple, encodeServiceKey, ip4Bytes } from '../../runtime/offload/codec.ts';
import { here } from './helpers.ts';

const repo = join(here, '..', '..', '..');

test('runtime/offload/layout.gen.ts is not stale', () => {
  const r = spawnSync(process.execPath, [join(repo, 'kernel', 'gen-layout.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

test('struct sizes and names from sluice.h', () => {
  assert.is(LAYOUT.sluice_tuple.size, 12);
  assert.is(LAYOUT.sluice_service.size, 76);
  assert.is(LAYOUT.sluice_service.fields.backends.count, CONST.MAX_BACKENDS);
  assert.is(MAP.HOP_SOCKS, 'sluice_hop_socks');
  assert.is(CONST.PIN_DIR, '/sys/fs/bpf/sluice');
  assert.is(CONST.CTR_MAX, Object.keys(CTR).length);
});

test('tuple and service codecs round-trip in network order', () => {
  const t = encodeTuple({ address: '::ffff:127.0.0.2', port: 8000 }, { address: '10.1.2.3', port: 443 })!;
  assert.equal([...t.subarray(0, 4)], [127, 0, 0, 2]);
  assert.is(t.readUInt16BE(LAYOUT.sluice_tuple.fields.local_port_be.offset), 8000);
  assert.equal(decodeTuple(t), { local: { address: '127.0.0.2', port: 8000 }, remote: { address: '10.1.2.3', port: 443 } });
  assert.is(encodeTuple({ address: '::1', port: 1 }, { address: '::1', port: 2 }), null);
  assert.is(ip4Bytes('fe80::1'), null);
  const svc = { mode: 1, pick: 1, proxy: { address: '0.0.0.0', port: 0 }, backends: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 81 }] };
  assert.equal(decodeService(encodeService(svc)!), svc);
  assert.is(encodeServiceKey({ address: '10.96.0.1', port: 80 })!.length, LAYOUT.sluice_service_key.size);
});

test('offloadStatus() names the failed check when the addon is missing', () => {
  const index = join(here, '..', '..', 'runtime', 'offload', 'index.js');
  const r = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(index)}).then((m) => console.log(JSON.stringify(m.offloadStatus())))`], {
    encoding: 'utf8',
    env: { ...process.env, SLUICE_NATIVE_ADDON: '/nonexistent/sluice_native.node' },
  });
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.is(s.available, false);
  assert.ok(s.reasons.some((x: string) => x.includes('native addon not built')), s.reasons.join('; '));
  assert.is(s.splice.available, false);
  assert.is(s.localHop.available, false);
});

test.run();
