// examples/ban.ts: a deny list by client address, answered with 403 without the upstream.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixedUpstream, isolateNetwork, request, runExample } from '../../helpers/examples.ts';
import type { Running, Upstream } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;
let up: Upstream;

test.before(async () => {
  up = await fixedUpstream(8080);
  sluice = await runExample('ban.ts', [8000]);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

test('ban: an allowed client is proxied', async () => {
  const r = await request(8000, '/ok');
  assert.is(r.status, 200);
  assert.is(r.body, 'upstream 8080: GET /ok\n');
});

test('ban: a denied client gets 403 and the upstream sees nothing', async () => {
  const before = up.seen.length;
  for (const method of ['GET', 'POST']) {
    const r = await request(8000, '/secret', { localAddress: '127.0.0.2', method, body: method === 'POST' ? 'x'.repeat(10_000) : undefined });
    assert.is(r.status, 403);
    assert.is(r.body, 'Access denied\n');
  }
  assert.is(up.seen.length, before);
});

test('ban: IPv6 clients go through the same list (::1 is allowed)', async () => {
  const r = await request(8000, '/v6', { host: '::1' });
  assert.is(r.status, 200);
});

test.run();
