// examples/plugins (Pipy tutorial 07): a pipe([...]) chain of plug-ins using pipeNext().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixedUpstream, isolateNetwork, request, runExample } from '../../helpers/examples.ts';
import type { Running, Upstream } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;
let up: Upstream;

test.before(async () => {
  up = await fixedUpstream(8080);
  sluice = await runExample('plugins', [8000]);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

test('plugins: the router plug-in proxies /hi/*', async () => {
  const r = await request(8000, '/hi/there');
  assert.is(r.status, 200);
  assert.is(r.body, 'upstream 8080: GET /hi/there\n');
});

test('plugins: the default plug-in answers what nobody handled', async () => {
  const before = up.seen.length;
  const r = await request(8000, '/other');
  assert.is(r.status, 404);
  assert.is(r.body, 'No handler\n');
  assert.is(up.seen.length, before);
});

test('plugins: the ban plug-in stops a denied client before the router', async () => {
  const before = up.seen.length;
  const r = await request(8000, '/hi/there', { localAddress: '127.0.0.2' });
  assert.is(r.status, 403);
  assert.is(r.body, 'Access denied\n');
  assert.is(up.seen.length, before, 'the upstream was not contacted');
  assert.is((await request(8000, '/hi/again')).status, 200, 'others still pass');
});

test.run();
