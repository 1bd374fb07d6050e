// Every example type-checks against the scripting API (`sluice check`), and check does fail
// on a script that misuses the API, naming file and line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { binSluice, distRoot, repoRoot, tempScript } from '../../helpers/sluice.ts';
import { examplesDir } from '../../helpers/examples.ts';

function check(...paths: string[]) {
  const r = spawnSync(process.execPath, [binSluice, 'check', ...paths], {
    cwd: repoRoot,
    env: { ...process.env, SLUICE_DIST: distRoot },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// examples/*.ts, and the folders with a main.ts (config/, plugins/); gateway/ has its own tests.
const examples = readdirSync(examplesDir)
  .filter((n) => n !== 'gateway')
  .filter((n) => n.endsWith('.ts') || (statSync(join(examplesDir, n)).isDirectory() && readdirSync(join(examplesDir, n)).includes('main.ts')))
  .map((n) => join('examples', n));

test('check: the examples are all there', () => {
  for (const name of ['hello.ts', 'echo.ts', 'proxy.ts', 'routing.ts', 'load-balancing.ts', 'config', 'plugins', 'path-rewrite.ts', 'ban.ts', 'throttle.ts', 'cache.ts', 'connect-tunnel.ts', 'websocket.ts']) {
    assert.ok(examples.includes(join('examples', name)), name);
  }
});

test('check: every example type-checks against the API', () => {
  const r = check(...examples);
  assert.is(r.code, 0, r.err);
  for (const e of examples) assert.match(r.out, new RegExp(`${e.replace(/[.]/g, '\\.')}(/main\\.ts)?: ok`));
});

test('check: a script using the API wrongly fails with file and line', () => {
  const bad = tempScript(`import { pipy } from 'sluice';

pipy.listen(8000, { context: () => ({ target: '' }) }, ($) =>
  $.demuxHTTP().to(($) => $.muxHTTP().to(($) => $.connect((ctx) => ctx.tagret))),
);
`);
  const r = check(bad);
  assert.is(r.code, 1);
  assert.match(r.err, /main\.ts\(4,\d+\): error TS2551: Property 'tagret' does not exist/);
});

test('check: usage without a script is exit 2', () => {
  assert.is(check().code, 2);
});

test.run();
