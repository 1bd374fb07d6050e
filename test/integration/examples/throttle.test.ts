// examples/throttle.ts: 5 requests per second per client address, 429 beyond.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { fixedUpstream, isolateNetwork, request, runExample } from '../../helpers/examples.ts';
import type { Running, Upstream } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;
let up: Upstream;

test.before(async () => {
  up = await fixedUpstream(8080);
  sluice = await runExample('throttle.ts', [8000]);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

test('throttle: a burst gets 5 through, then 429 with retry-after; other clients are unaffected; tokens come back', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = up.seen.length;
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof request>> | null = null;
    for (let i = 0; i < 8; i++) {
      const r = await request(8000, `/n${i}`, { agent });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    assert.equal(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    assert.is(limited!.headers['retry-after'], '1');
    assert.is(up.seen.length - before, 5, 'limited requests never reached the upstream');

    // Another address has its own bucket.
    assert.is((await request(8000, '/other', { localAddress: '127.0.0.2' })).status, 200);

    // A second later the bucket is refilled.
    await new Promise((r) => setTimeout(r, 1100));
    assert.is((await request(8000, '/later', { agent })).status, 200);
  } finally {
    agent.destroy();
  }
});

test.run();
