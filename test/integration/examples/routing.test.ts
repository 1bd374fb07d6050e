// examples/routing.ts (Pipy tutorial 04): URLRouter by path and host, 404 for no match.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { isolateNetwork, runExample, request } from '../../helpers/examples.ts';
import type { Running } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;

test.before(async () => {
  sluice = await runExample('routing.ts', [8000, 8081, 8082, 8083]);
});
test.after(async () => {
  await sluice?.stop();
});

test('routing: path prefix /hi/* goes to the hi service, with the path intact', async () => {
  const r = await request(8000, '/hi/there?x=1');
  assert.is(r.status, 200);
  assert.is(r.body, 'hi service: /hi/there?x=1\n');
  assert.is((await request(8000, '/hi')).body, 'hi service: /hi\n');
});

test('routing: exact path /echo goes to the echo service', async () => {
  const r = await request(8000, '/echo', { body: 'ping' });
  assert.is(r.status, 200);
  assert.is(r.body, 'ping');
});

test('routing: a host route wins for its host only', async () => {
  const r = await request(8000, '/hi/x', { headers: { host: 'api.example.com:8000' } });
  assert.is(r.body, 'api service: /hi/x\n');
  assert.is((await request(8000, '/hi/x', { headers: { host: 'other.example.com' } })).body, 'hi service: /hi/x\n');
});

test('routing: no route is 404 from the proxy itself', async () => {
  for (const path of ['/nothing', '/echo/more', '/']) {
    const r = await request(8000, path);
    assert.is(r.status, 404, path);
    assert.is(r.body, 'No route\n');
  }
});

test('routing: each request on one keep-alive connection is routed on its own', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.is((await request(8000, '/hi/a', { agent })).body, 'hi service: /hi/a\n');
    assert.is((await request(8000, '/nope', { agent })).status, 404);
    assert.is((await request(8000, '/echo', { agent, body: 'b' })).body, 'b');
    assert.is((await request(8000, '/hi/c', { agent })).body, 'hi service: /hi/c\n');
  } finally {
    agent.destroy();
  }
});

test.run();
