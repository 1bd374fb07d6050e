// The kernel companion met by real Sluice pipelines:
//  - connect4 redirects a client in the cgroup from an L7 service VIP to a Sluice listener,
//    and the script recovers the VIP from `ctx.inbound.originalDestination`;
//  - `connect(target, { offload: 'auto' })` hands a TCP passthrough stream to the splice
//    relay: 256 MiB each way arrive byte-exact, and /metrics counts the hand-off;
//  - with offload switched off the same transfer passes in user space.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { KernelEnv, kernelSkipReason, handOffSkipReason } from './helpers.ts';
import { setService } from '../../runtime/offload/index.ts';
import { binSluice, distRoot, startSluice, tempScript, freePort } from '../helpers/sluice.ts';
import { recvAll, sendAll } from './fixtures/streams.ts';

const skip = kernelSkipReason();
const skipHandOff = handOffSkipReason();
if (skip) console.log(`SKIP: ${skip}`);
if (skipHandOff) console.log(`SKIP: ${skipHandOff}`);

const VIP = { address: '10.96.0.20', port: 80 };

(skip ? test.skip : test)('connect4 L7 redirect: a Sluice pipeline recovers the original destination', async () => {
  const env = await KernelEnv.create('pl');
  try {
    env.up();
    setService({ vip: VIP, mode: 'l7', proxy: { address: '127.0.0.1', port: 15011 } });
    const script = tempScript(`
      import { pipy, Message } from 'sluice';
      // The proxy: stamps where the client meant to go, then forwards to the backend.
      pipy.listen('127.0.0.1:15011', ($) => $.demuxHTTP().to(($) => $
        .handleMessageStart((msg, ctx) => {
          const o = ctx.inbound.originalDestination;
          msg.head.headers['x-original-dst'] = o ? o.address + ':' + o.port : 'none';
        })
        .muxHTTP().to(($) => $.connect('127.0.0.1:15012'))));
      // The backend: reports what it was told.
      pipy.listen('127.0.0.1:15012', ($) => $.serveHTTP((req) => new Message(String(req.head.headers['x-original-dst']))));
    `);
    const proxy = env.spawn(binSluice, [script, '--admin-port=-1'], { inCgroup: false, env: { SLUICE_DIST: distRoot } });
    let log = '';
    proxy.stderr!.on('data', (d) => (log += d));
    for (let i = 0; i < 100 && (log.match(/listening on/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((log.match(/listening on/g) ?? []).length >= 2, log);
    const r = await env.run('fixtures/http-child.js', [`${VIP.address}:${VIP.port}`, '/hello']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.json, { status: 200, body: `${VIP.address}:${VIP.port}` });
  } finally {
    await env.destroy();
  }
});

async function passthrough(env: NodeJS.ProcessEnv): Promise<{ up: number; down: number; metrics: string }> {
  const echoPort = await freePort();
  // The upstream: sends 256 MiB and checks what it receives.
  const MiB256 = 256 << 20;
  const fromClient: Promise<{ bytes: number; hash: string }>[] = [];
  const toClient: Promise<{ bytes: number; hash: string }>[] = [];
  const upstream = net.createServer({ allowHalfOpen: true }, (s) => {
    fromClient.push(recvAll(s));
    toClient.push(sendAll(s, MiB256));
  });
  await new Promise<void>((r) => upstream.listen(echoPort, '127.0.0.1', r));
  const port = await freePort();
  const script = tempScript(`
    import { pipy } from 'sluice';
    pipy.listen('127.0.0.1:${port}', ($) => $.connect('127.0.0.1:${echoPort}', { offload: 'auto' }));
  `);
  const sluice = await startSluice([script, '--admin-port=0'], { env });
  try {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((r) => c.once('connect', r));
    const [sent, got] = await Promise.all([sendAll(c, MiB256), recvAll(c)]);
    const [upGot, upSent] = [await fromClient[0]!, await toClient[0]!];
    assert.is(upGot.bytes, sent.bytes, 'client → upstream byte count');
    assert.is(upGot.hash, sent.hash, 'client → upstream bytes');
    assert.is(got.bytes, upSent.bytes, 'upstream → client byte count');
    assert.is(got.hash, upSent.hash, 'upstream → client bytes');
    c.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const metrics = await (await fetch(`http://127.0.0.1:${sluice.adminPort}/metrics`)).text();
    return { up: upGot.bytes, down: got.bytes, metrics };
  } finally {
    await sluice.stop();
    upstream.close();
  }
}

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);

(skipHandOff ? test.skip : test)("connect({ offload: 'auto' }) hands a TCP passthrough to the kernel: 256 MiB each way, byte-exact", async () => {
  const r = await passthrough({});
  assert.is(metric(r.metrics, 'sluice_offloaded_connections_total'), 1, r.metrics);
  assert.ok(metric(r.metrics, 'sluice_offloaded_bytes_total') >= r.up + r.down - (1 << 20), 'relayed bytes counted');
});

test('the same passthrough in user space (offload off) is byte-exact too', async () => {
  const r = await passthrough({ SLUICE_HANDOFF: 'off' });
  assert.is(metric(r.metrics, 'sluice_offloaded_connections_total'), 0);
});

test.run();
