// examples/echo.ts (Pipy tutorial 02), run for real on its port 8080.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { isolateNetwork, runExample, request } from '../../helpers/examples.ts';
import type { Running } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running;

test.before(async () => {
  sluice = await runExample('echo.ts', [8080]);
});
test.after(async () => {
  await sluice?.stop();
});

test('echo: a request body comes back as the response body', async () => {
  const r = await request(8080, '/', { body: 'hello, echo' });
  assert.is(r.status, 200);
  assert.is(r.body, 'hello, echo');
  assert.is(r.headers['content-length'], '11');
});

test('echo: a large body and a body-less request', async () => {
  const big = 'x'.repeat(200_000);
  assert.is((await request(8080, '/big', { body: big })).body, big);
  const r = await request(8080, '/');
  assert.is(r.status, 200);
  assert.is(r.body, '');
});

test('echo: the default listener takes IPv6 too (::1)', async () => {
  const r = await request(8080, '/', { host: '::1', body: 'over v6' });
  assert.is(r.status, 200);
  assert.is(r.body, 'over v6');
});

test('echo: several requests on one keep-alive connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let sockets = 0;
    agent.on('free', () => void 0);
    const create = agent.createConnection.bind(agent);
    agent.createConnection = ((...a: Parameters<typeof create>) => (sockets++, create(...a))) as typeof agent.createConnection;
    for (let i = 0; i < 5; i++) {
      const r = await request(8080, '/', { body: `n${i}`, agent });
      assert.is(r.body, `n${i}`);
    }
    assert.is(sockets, 1, 'one connection served all five');
  } finally {
    agent.destroy();
  }
});

test.run();
