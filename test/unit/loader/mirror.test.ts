// A script's mirror (how scripts load where Node has no in-thread module hooks): the copies
// behave as the originals would under hooks. mirrorScript is called directly, so this runs on
// every Node, whichever way load-script.ts picks there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mirrorScript, mirrorSettled } from '../../../runtime/loader/mirror.ts';
import { unmirror } from '../../../runtime/engine/script-paths.ts';
import { scriptLocation } from '../../../runtime/engine/script-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-mirror-test-'));
const put = (name: string, text: string) => {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
type Seen = Record<string, unknown>;
const seen = () => (globalThis as { mirrorTest?: Seen }).mirrorTest!;
let gen = 0;
async function load(file: string): Promise<void> {
  (globalThis as { mirrorTest?: Seen }).mirrorTest = {};
  const g = ++gen;
  await import(await mirrorScript(file, g));
  mirrorSettled(g, true);
}

// A package in the script's own node_modules, and one only Sluice has (yaml).
put('node_modules/local-pkg/package.json', JSON.stringify({ name: 'local-pkg', type: 'module', exports: './index.js' }));
put('node_modules/local-pkg/index.js', `export const where = 'local';\n`);
put('data.txt', 'beside the script\n');
put('lib/count.mjs', `globalThis.mirrorCount = (globalThis.mirrorCount ?? 0) + 1;\nexport const n = globalThis.mirrorCount;\n`);
put('lib/where.ts', `export const here: string = import.meta.url;\nexport const dir: string = import.meta.dirname;\n`);
const main = put('main.ts', `import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { pipy } from 'sluice';
import { where } from 'local-pkg';
import { here, dir } from './lib/where.ts';
import { n } from './lib/count.mjs';
const seen = (globalThis as any).mirrorTest;
seen.url = import.meta.url;
seen.filename = import.meta.filename;
seen.data = readFileSync(new URL('./data.txt', import.meta.url), 'utf8');
seen.resolved = import.meta.resolve('./lib/where.ts');
seen.local = where;
seen.yaml = YAML.parse('a: 1').a;
seen.api = typeof pipy.listen;
seen.here = here;
seen.dir = dir;
seen.count = n;
`);

test('the script runs with its own import.meta, folders and imports', async () => {
  await load(main);
  const s = seen();
  assert.is(s.url, pathToFileURL(main).href);
  assert.is(s.filename, main);
  assert.is(s.data, 'beside the script\n');
  assert.is(s.resolved, pathToFileURL(join(dir, 'lib/where.ts')).href);
  assert.is(s.here, pathToFileURL(join(dir, 'lib/where.ts')).href, 'an imported file has its own import.meta');
  assert.is(s.dir, join(dir, 'lib'));
  assert.is(s.local, 'local', "a package in the script's node_modules");
  assert.is(s.yaml, 1, "a package only Sluice has (its dependencies answer last)");
  assert.is(s.api, 'function');
});

test('every load evaluates the script files afresh, .mjs ones too', async () => {
  const before = seen().count as number;
  await load(main);
  assert.is(seen().count, before + 1);
});

test('a JSON file the script imports is read afresh on every load', async () => {
  const json = put('json/settings.json', JSON.stringify({ v: 1 }));
  const entry = put('json/main.ts', `import settings from './settings.json' with { type: 'json' };\n(globalThis as any).mirrorTest.v = settings.v;\n`);
  await load(entry);
  assert.is(seen().v, 1);
  writeFileSync(json, JSON.stringify({ v: 2 }));
  await load(entry);
  assert.is(seen().v, 2);
});

test('two files mirrored into one generation (importModule during a load) share its links', async () => {
  // The script's folder has a node_modules above it: both mirrors link it at the same place.
  put('mods/a.ts', `import { where } from 'local-pkg';\nexport const a: string = 'a-' + where;\n`);
  put('mods/b.ts', `import { where } from 'local-pkg';\nexport const b: string = 'b-' + where;\n`);
  const g = ++gen;
  const [a, b] = await Promise.all([mirrorScript(join(dir, 'mods/a.ts'), g), mirrorScript(join(dir, 'mods/b.ts'), g)]);
  assert.is(((await import(a)) as { a: string }).a, 'a-local');
  assert.is(((await import(b)) as { b: string }).b, 'b-local');
  mirrorSettled(g, true);
});

test('a copy named in a stack or message reads as the original', async () => {
  const bad = put('bad/thrower.ts', `export function boom(): never {\n  throw new Error('boom');\n}\n`);
  const entry = put('bad/main.ts', `import { boom } from './thrower.ts';\nexport { boom };\n`);
  const url = await mirrorScript(entry, ++gen);
  const { boom } = (await import(url)) as { boom: () => never };
  try {
    boom();
    assert.unreachable();
  } catch (err) {
    assert.is(scriptLocation(err), `${bad}:2:9`);
    assert.not.match(unmirror((err as Error).stack!), /sluice-scripts-/);
  }
  assert.is(unmirror(`Cannot find module '/x/y.ts' imported from ${url}`), `Cannot find module '/x/y.ts' imported from ${pathToFileURL(entry).href}`);
});

test('a type error in an imported file is a SyntaxError naming that file and line', async () => {
  const broken = put('broken/util.ts', `export const a: number = 1;\nexport const b: string = (('!';\n`);
  const entry = put('broken/main.ts', `import { a } from './util.ts';\nexport { a };\n`);
  try {
    await mirrorScript(entry, ++gen);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SyntaxError);
    assert.match((err as Error).message, new RegExp(`^${broken.replace(/[.]/g, '\\.')}:2:\\d+: `));
  }
});

test('the mirror goes when the process exits, and a dead process leaves none behind', () => {
  // A process that died without cleaning up (pid unused now) left a folder.
  let dead = 4_000_000;
  for (; dead > 1000; dead--) {
    try {
      process.kill(dead, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') break;
    }
  }
  const stale = mkdtempSync(join(tmpdir(), `sluice-scripts-${dead}-`));
  const mirror = new URL('../../../runtime/loader/mirror.js', import.meta.url).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { mirrorScript } = await import(${JSON.stringify(mirror)});
    const url = await mirrorScript(${JSON.stringify(main)}, 1);
    globalThis.mirrorTest = {};
    await import(url);
    console.log(process.pid);
  `], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const pid = r.stdout.trim();
  assert.ok(!existsSync(stale), 'the dead process left its folder');
  const left = readdirSync(tmpdir()).filter((n) => n.startsWith(`sluice-scripts-${pid}-`));
  assert.equal(left, [], 'the exited process left its mirror');
});

test.run();
