// examples/load-balancing.ts (Pipy tutorial 05): round robin over three upstreams.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { isolateNetwork, runExample, request } from '../../helpers/examples.ts';
import type { Running } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;

test.before(async () => {
  sluice = await runExample('load-balancing.ts', [8000, 8081, 8082, 8083]);
});
test.after(async () => {
  await sluice?.stop();
});

test('load balancing: new connections rotate over the three upstreams', async () => {
  const seen: string[] = [];
  for (let i = 0; i < 9; i++) seen.push((await request(8000, '/')).body.trim());
  // Whatever the starting point, the order is a rotation and each gets exactly 3.
  for (const p of ['8081', '8082', '8083']) assert.is(seen.filter((s) => s === p).length, 3, seen.join(' '));
  for (let i = 3; i < 9; i++) assert.is(seen[i], seen[i - 3], seen.join(' '));
});

test('load balancing: requests on one keep-alive connection are spread too', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await request(8000, '/', { agent })).body.trim());
    assert.equal([...seen].sort(), ['8081', '8082', '8083']);
  } finally {
    agent.destroy();
  }
});

test('load balancing: concurrent requests all succeed', async () => {
  const replies = await Promise.all(Array.from({ length: 30 }, () => request(8000, '/')));
  const counts = new Map<string, number>();
  for (const r of replies) {
    assert.is(r.status, 200);
    counts.set(r.body.trim(), (counts.get(r.body.trim()) ?? 0) + 1);
  }
  assert.equal([...counts.values()], [10, 10, 10]);
});

test.run();
