// examples/hello.ts (Pipy tutorial 01) on 8080 and examples/proxy.ts (03) on 8000 in front
// of it, run together as the tutorial does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { isolateNetwork, request, runExample } from '../../helpers/examples.ts';
import type { Running } from '../../helpers/sluice.ts';

isolateNetwork();

let hello: Running;
let proxy: Running;

test.before(async () => {
  hello = await runExample('hello.ts', [8080]);
  proxy = await runExample('proxy.ts', [8000]);
});
test.after(async () => {
  await proxy?.stop();
  await hello?.stop();
});

test('hello: every request gets Hi, there!', async () => {
  for (const path of ['/', '/anything?x=1']) {
    const r = await request(8080, path);
    assert.is(r.status, 200);
    assert.is(r.body, 'Hi, there!\n');
  }
});

test('proxy: requests through 8000 reach hello on 8080, over IPv4 and IPv6, keep-alive too', async () => {
  assert.is((await request(8000, '/')).body, 'Hi, there!\n');
  assert.is((await request(8000, '/', { host: '::1' })).body, 'Hi, there!\n');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 5; i++) assert.is((await request(8000, `/${i}`, { agent, body: 'x' })).body, 'Hi, there!\n');
  } finally {
    agent.destroy();
  }
});

test('proxy: with hello gone, the proxy answers 502', async () => {
  await hello.stop();
  const r = await request(8000, '/');
  assert.is(r.status, 502);
});

test.run();
