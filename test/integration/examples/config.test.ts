// examples/config (Pipy tutorial 06): port, routes and upstreams from config.yaml, and a
// reload picking up an edited config.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPortsFree, examplesDir, fixedUpstream, isolateNetwork, request } from '../../helpers/examples.ts';
import { startSluice, type Running, type Upstream } from '../../helpers/sluice.ts';

isolateNetwork();

let sluice: Running | undefined;
let ups: Upstream[] = [];
// A copy, so the test can edit the config without touching the repository.
const dir = mkdtempSync(join(tmpdir(), 'sluice-config-example-'));
cpSync(join(examplesDir, 'config'), dir, { recursive: true });

test.before(async () => {
  ups = [await fixedUpstream(8081), await fixedUpstream(8082)];
  await assertPortsFree([8000]);
  sluice = await startSluice([dir, '--admin-port=0']);
});
test.after(async () => {
  await sluice?.stop();
  for (const u of ups) await u.close();
});

test('config: listens on the configured port and balances service-hi over its two upstreams', async () => {
  const bodies: string[] = [];
  for (let i = 0; i < 4; i++) bodies.push((await request(8000, '/hi')).body);
  assert.is(bodies.filter((b) => b.startsWith('upstream 8081')).length, 2, bodies.join(''));
  assert.is(bodies.filter((b) => b.startsWith('upstream 8082')).length, 2, bodies.join(''));
});

test('config: single-upstream routes and 404', async () => {
  assert.is((await request(8000, '/echo')).body, 'upstream 8081: GET /echo\n');
  assert.is((await request(8000, '/ip/me')).body, 'upstream 8082: GET /ip/me\n');
  assert.is((await request(8000, '/elsewhere')).status, 404);
});

test('config: an edited config.yaml takes effect on reload; a broken one is refused', async () => {
  const file = join(dir, 'config.yaml');
  const original = readFileSync(file, 'utf8');
  writeFileSync(file, original.replace('/echo: service-echo', '/echo: service-echo\n  /new/*: service-tell-ip'));
  const ok = await fetch(`http://127.0.0.1:${sluice!.adminPort}/reload`, { method: 'POST' });
  assert.is(ok.status, 200);
  assert.is((await request(8000, '/new/thing')).body, 'upstream 8082: GET /new/thing\n');

  // A route naming an unknown service: the script throws while loading, the reload is refused.
  writeFileSync(file, original.replace('/echo: service-echo', '/echo: service-nope'));
  const bad = await fetch(`http://127.0.0.1:${sluice!.adminPort}/reload`, { method: 'POST' });
  assert.is(bad.status, 422);
  assert.match(((await bad.json()) as { error: string }).error, /unknown service 'service-nope'/);
  assert.is((await request(8000, '/new/thing')).status, 200, 'the previous config still serves');
});

test.run();
