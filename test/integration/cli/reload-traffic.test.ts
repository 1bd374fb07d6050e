// Reloading under load loses nothing: concurrent keep-alive clients hammer a proxy while
// the script is reloaded again and again with SIGHUP; every request must get its 200.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { Pool } from 'undici';
import { freePort, startSluice, startUpstream, tempScript, type Running, type Upstream } from '../../helpers/sluice.ts';
import { sleep } from '../../helpers/cli.ts';

let sluice: Running;
let up: Upstream;
let port = 0;
let script = '';

const version = (v: number) => `import { pipy } from 'sluice';
// version ${v}
pipy.listen(${port}, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((msg) => { msg.head.headers['x-version'] = '${v}'; })
      .muxHTTP()
      .to(($) => $.connect('127.0.0.1:${up.port}')),
  ),
);
`;

test.before(async () => {
  up = await startUpstream((req, res) => res.end(`v${req.headers['x-version']}`));
  port = await freePort();
  script = tempScript('');
  writeFileSync(script, version(0));
  sluice = await startSluice([script, '--admin-port=-1']);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

test('reload under traffic: 8 keep-alive connections, 6 reloads, no request lost', async () => {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8, pipelining: 1 });
  let ok = 0;
  const errors: string[] = [];
  const versions = new Set<string>();
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const r = await pool.request({ path: '/', method: 'GET' });
        const body = await r.body.text();
        if (r.statusCode === 200) {
          ok++;
          versions.add(body);
        } else errors.push(`status ${r.statusCode}: ${body}`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  const clients = Array.from({ length: 8 }, client);
  let reloads = 0;
  for (let v = 1; v <= 6; v++) {
    await sleep(400);
    writeFileSync(script, version(v));
    const mark = sluice.log().length;
    sluice.proc.kill('SIGHUP');
    while (!/reloaded/.test(sluice.log().slice(mark))) await sleep(10);
    reloads++;
  }
  await sleep(400);
  running = false;
  await Promise.all(clients);
  await pool.close();
  assert.is(reloads, 6);
  assert.equal(errors, [], `errors after ${ok} good requests`);
  assert.ok(ok > 200, `only ${ok} requests`);
  // Connections opened before a reload keep their script; new pipelines take the new one.
  assert.ok(versions.size >= 1, [...versions].join());
  assert.not.match(sluice.log(), /reload failed/);
});

test('reload under traffic: new connections after the last reload see the last version', async () => {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 2 });
  const r = await pool.request({ path: '/', method: 'GET' });
  assert.is(await r.body.text(), 'v6');
  await pool.close();
});

test.run();
