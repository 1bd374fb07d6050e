// importModule: a module file named at run time (a gateway PipelineModule) imports as scripts
// do, on every Node: types stripped, `sluice` and relative .ts imports resolved, evaluated
// again only when the file changed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { importModule } from '../../../runtime/loader/import-module.ts';
import { tempScript } from '../../helpers/sluice.ts';

const file = tempScript('', 'module.ts');
const dir = dirname(file);
writeFileSync(join(dir, 'helper.ts'), `export const suffix: string = '!';\n`);
const source = (word: string) => `import { Message } from 'sluice';
import { suffix } from './helper.ts';
const g = globalThis as { evaluations?: number };
g.evaluations = (g.evaluations ?? 0) + 1;
export function request(): Message { return new Message('${word}' + suffix); }
`;
const evaluations = () => (globalThis as { evaluations?: number }).evaluations ?? 0;
type Mod = { request(): { body: { toString(): string } } };

test('a .ts module with sluice and relative imports', async () => {
  writeFileSync(file, source('hello'));
  const mod = (await importModule(file)) as Mod;
  assert.is(mod.request().body.toString(), 'hello!');
  assert.is(evaluations(), 1);
});

test('unchanged: the same module, not evaluated again', async () => {
  const a = await importModule(file);
  const b = await importModule(file);
  assert.is(a, b);
  assert.is(evaluations(), 1);
});

test('edited: evaluated again, with the edit', async () => {
  writeFileSync(file, source('bye'));
  const later = new Date(Date.now() + 5000);
  utimesSync(file, later, later); // a new mtime even on a coarse clock
  const mod = (await importModule(file)) as Mod;
  assert.is(mod.request().body.toString(), 'bye!');
  assert.is(evaluations(), 2);
});

test('a broken module: an error naming the file, and the fix imports', async () => {
  writeFileSync(file, `export const a: number = (1;\n`);
  const t1 = new Date(Date.now() + 10_000);
  utimesSync(file, t1, t1);
  try {
    await importModule(file);
    assert.unreachable('imported');
  } catch (err) {
    assert.match((err as Error).message, file);
    assert.not.match((err as Error).message, /sluice-scripts-/);
  }
  writeFileSync(file, source('again'));
  const t2 = new Date(Date.now() + 15_000);
  utimesSync(file, t2, t2);
  const mod = (await importModule(file)) as Mod;
  assert.is(mod.request().body.toString(), 'again!');
});

test('a missing file: a rejected promise, not a throw', async () => {
  const p = importModule(join(dir, 'missing.ts'));
  assert.instance(p, Promise);
  try {
    await p;
    assert.unreachable('imported');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOENT');
  }
});

test.run();
