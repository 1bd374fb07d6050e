// A script callback that throws: that request gets a 500, the log names the script's
// file:line, and the proxy goes on serving.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { freePort, startSluice, startUpstream, tempScript, type Running, type Upstream } from '../../helpers/sluice.ts';
import { request } from '../../helpers/examples.ts';
import { admin, metric } from '../../helpers/cli.ts';

let sluice: Running;
let up: Upstream;
let port = 0;
let script = '';

test.before(async () => {
  up = await startUpstream();
  port = await freePort();
  script = tempScript(`import { pipy } from 'sluice';

pipy.listen(${port}, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((msg) => {
      if (msg.head.path === '/boom') {
        throw new Error('no such thing as /boom');
      }
    })
      .muxHTTP()
      .to(($) => $.connect('127.0.0.1:${up.port}')),
  ),
);
`);
  sluice = await startSluice([script, '--admin-port=0']);
});
test.after(async () => {
  await sluice?.stop();
  await up?.close();
});

test('script error: the request gets 500 and the log has file:line', async () => {
  const before = up.seen.length;
  const r = await request(port, '/boom');
  assert.is(r.status, 500);
  assert.is(up.seen.length, before, 'the failed request was not forwarded');
  await sluice.waitFor(/no such thing as \/boom/);
  assert.match(sluice.log(), new RegExp(`no such thing as /boom \\(at ${script.replace(/\./g, '\\.')}:7:\\d+\\)`));
});

test('script error: later requests, on new and on the same connection, are served', async () => {
  assert.is((await request(port, '/fine')).status, 200);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.is((await request(port, '/a', { agent })).status, 200);
    assert.is((await request(port, '/boom', { agent })).status, 500);
    assert.is((await request(port, '/b', { agent })).status, 200);
  } finally {
    agent.destroy();
  }
  const m = (await admin(sluice.adminPort, '/metrics')).body;
  assert.is(metric(m, 'sluice_script_errors_total'), 2);
  assert.is(sluice.proc.exitCode, null, 'still running');
});

test.run();
