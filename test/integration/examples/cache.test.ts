// examples/cache.ts: GET responses cached with algo.Cache, x-cache: hit|miss.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixedUpstream, isolateNetwork, request, runExample } from '../../helpers/examples.ts';
import type { Running, Upstream } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;
let up: Upstream;
let n = 0;

test.before(async () => {
  // Each upstream answer is numbered, so a cached body is told apart from a fresh one.
  up = await fixedUpstream(8080, (req, res) => {
    n++;
    if (req.url === '/missing') {
      res.writeHead(404).end('nope');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-origin': 'upstream' }).end(`answer ${n} for ${req.url}`);
  });
  sluice = await runExample('cache.ts', [8000]);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

test('cache: first GET is a miss, the repeat is a hit served without the upstream', async () => {
  const a = await request(8000, '/page');
  assert.is(a.status, 200);
  assert.is(a.headers['x-cache'], 'miss');
  const seen = up.seen.length;
  const b = await request(8000, '/page');
  assert.is(b.status, 200);
  assert.is(b.headers['x-cache'], 'hit');
  assert.is(b.body, a.body);
  assert.is(b.headers['x-origin'], 'upstream', 'stored headers are replayed');
  assert.is(b.headers['content-type'], 'text/plain');
  assert.is(up.seen.length, seen, 'the hit did not reach the upstream');
});

test('cache: keys are per path and host', async () => {
  const a = await request(8000, '/other');
  assert.is(a.headers['x-cache'], 'miss');
  const b = await request(8000, '/page', { headers: { host: 'elsewhere.example' } });
  assert.is(b.headers['x-cache'], 'miss');
});

test('cache: non-GET and non-200 responses are not stored', async () => {
  for (let i = 0; i < 2; i++) {
    const r = await request(8000, '/post', { body: 'x' });
    assert.is(r.headers['x-cache'], 'miss');
    const m = await request(8000, '/missing');
    assert.is(m.status, 404);
    assert.is(m.headers['x-cache'], 'miss');
  }
});

test.run();
