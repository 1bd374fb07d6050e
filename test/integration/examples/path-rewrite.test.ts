// examples/path-rewrite.ts: /api/* is served from the upstream's root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixedUpstream, isolateNetwork, request, runExample } from '../../helpers/examples.ts';
import type { Running, Upstream } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;
let up: Upstream;

test.before(async () => {
  up = await fixedUpstream(8080);
  sluice = await runExample('path-rewrite.ts', [8000]);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

const cases: [string, string][] = [
  ['/api/users?id=1', '/users?id=1'],
  ['/api/', '/'],
  ['/api', '/'],
  ['/api?q=2', '/?q=2'],
  ['/apiary', '/apiary'],
  ['/static/app.js', '/static/app.js'],
];

for (const [sent, seen] of cases) {
  test(`path rewrite: ${sent} reaches the upstream as ${seen}`, async () => {
    const r = await request(8000, sent);
    assert.is(r.status, 200);
    assert.is(up.seen.at(-1)!.url, seen);
    assert.is(r.body, `upstream 8080: GET ${seen}\n`);
  });
}

test('path rewrite: headers and body pass unchanged', async () => {
  await request(8000, '/api/echo', { body: 'payload', headers: { 'x-demo': 'yes' } });
  const last = up.seen.at(-1)!;
  assert.is(last.url, '/echo');
  assert.is(last.method, 'POST');
  assert.is(last.headers['x-demo'], 'yes');
  assert.is(last.body.toString(), 'payload');
});

test.run();
