// SIGTERM drains: the request in flight completes, new connections are refused, idle
// keep-alive connections are closed, and the process exits 0 within the drain timeout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { freePort, startSluice, startUpstream, tempScript, type Running, type Upstream } from '../../helpers/sluice.ts';
import { request } from '../../helpers/examples.ts';
import { sleep } from '../../helpers/cli.ts';

let sluice: Running;
let up: Upstream;
let port = 0;

test.before(async () => {
  up = await startUpstream((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow done'), 1000);
    else res.end('quick');
  });
  port = await freePort();
  const script = tempScript(`import { pipy } from 'sluice';
pipy.listen(${port}, ($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect('127.0.0.1:${up.port}'))));
`);
  sluice = await startSluice([script, '--admin-port=-1', '--drain-timeout', '5']);
});
test.after(async () => {
  if (sluice?.proc.exitCode === null) sluice.proc.kill('SIGKILL');
  await up?.close();
});

test('drain: in-flight finishes, idle closes, new refused, exit 0', async () => {
  // An idle keep-alive connection: one request answered, then nothing.
  const idle = net.connect(port, '127.0.0.1');
  await new Promise((r) => idle.once('connect', r));
  let idleText = '';
  const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(Date.now())));
  idle.on('data', (b: Buffer) => (idleText += b.toString()));
  idle.on('error', () => {});
  idle.write('GET /quick HTTP/1.1\r\nhost: x\r\n\r\n');
  while (!idleText.includes('quick')) await sleep(10);

  const slow = request(port, '/slow');
  await sleep(200); // the slow request is at the upstream now
  const t0 = Date.now();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => sluice.proc.once('exit', (code) => resolve({ code, at: Date.now() })));
  sluice.proc.kill('SIGTERM');
  await sleep(200);

  const refused = await request(port, '/quick').then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
  assert.is(refused, 'ECONNREFUSED', 'new connections are refused while draining');

  const closedAt = await idleClosed;
  assert.ok(closedAt - t0 < 900, `the idle connection closed ${closedAt - t0} ms after SIGTERM, before the slow request ended`);

  const r = await slow;
  assert.is(r.status, 200);
  assert.is(r.body, 'slow done');
  assert.is(r.headers.connection, 'close', 'the last response says the connection closes');

  const { code, at } = await exited;
  assert.is(code, 0);
  assert.ok(at - t0 < 5000, `exited ${at - t0} ms after SIGTERM`);
  assert.ok(at - t0 >= 700, 'it waited for the slow request');
});

test('drain: the drain timeout bounds a request that never ends', async () => {
  const port2 = await freePort();
  const hang = await startUpstream(() => {}); // never answers
  const script = tempScript(`import { pipy } from 'sluice';
pipy.listen(${port2}, ($) => $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect('127.0.0.1:${hang.port}'))));
`);
  const s = await startSluice([script, '--admin-port=-1', '--drain-timeout', '1']);
  try {
    const stuck = request(port2, '/never').then(() => 'answered', (e: Error) => e.message);
    await sleep(200);
    const t0 = Date.now();
    const code = await s.stop('SIGTERM');
    const took = Date.now() - t0;
    assert.is(code, 0);
    assert.ok(took >= 900 && took < 3000, `stopped after ${took} ms`);
    assert.is.not(await stuck, 'answered');
  } finally {
    if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    await hang.close();
  }
});

test.run();
