// Scripts import the ready-made modules as 'sluice/modules', wherever they live: the loader
// resolves it at run time and `sluice check` type-checks against its declarations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { binSluice, distRoot, freePort, startSluice, tempScript } from '../../helpers/sluice.ts';

const source = (port: number) => `
import { pipy, Message } from 'sluice';
import { IPFilter } from 'sluice/modules';

// Only loopback clients; everyone else gets 403.
const allow = new IPFilter(['127.0.0.0/8'], []);
pipy.listen('127.0.0.1:${port}', ($) =>
  $.serveHTTP((req, ctx) => new Message(allow.admits(ctx.inbound.remoteAddress) ? 'ok\\n' : 'no\\n')));
`;

test("a script importing 'sluice/modules' runs", async () => {
  const port = await freePort();
  const s = await startSluice([tempScript(source(port)), '--admin-port=-1']);
  try {
    const r = await fetch(`http://127.0.0.1:${port}/`);
    assert.is(await r.text(), 'ok\n');
  } finally {
    await s.stop();
  }
});

test("sluice check resolves 'sluice/modules'", () => {
  const r = spawnSync(process.execPath, [binSluice, 'check', tempScript(source(8000))], { env: { ...process.env, SLUICE_DIST: distRoot }, encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test.run();
