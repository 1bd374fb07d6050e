// The script loader: scripts are hooked in without a hooks thread where Node has
// module.registerHooks, and the type stripper (13-20 MB of wasm and compiler memory once used)
// never stays in the long-lived process: it runs in a child that exits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import module from 'node:module';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hookMode, loadScript } from '../../../runtime/loader/load-script.ts';
import { ConfigError } from '../../../runtime/engine/errors.ts';
import { tempScript } from '../../helpers/sluice.ts';

const hasRegisterHooks = typeof (module as { registerHooks?: unknown }).registerHooks === 'function';
const threads = () => readdirSync('/proc/self/task').length;
const rssMB = () => process.memoryUsage().rss / (1 << 20);

// Before any load: no hooks yet, no stripper.
const threadsBefore = threads();
const rssBefore = rssMB();

const main = tempScript(`import { pipy, Message } from 'sluice';
import { greeting } from './lib/greet.ts';
const port: number = 0;
pipy.listen(port, ($) => $.serveHTTP(new Message(greeting)));
`);
const dir = dirname(main);
mkdirSync(join(dir, 'lib'));
const greet = (text: string) => `import { suffix } from '../util.ts';
export const greeting: string = '${text}' + suffix;
`;
writeFileSync(join(dir, 'lib/greet.ts'), greet('hello'));
writeFileSync(join(dir, 'util.ts'), `export const suffix: string = '!';\n`);

test('hooks: in this thread where Node has module.registerHooks, else on a hooks thread', () => {
  assert.is(hookMode, hasRegisterHooks ? 'sync' : 'thread');
});

test('a .ts script and the .ts files it imports load, types stripped', async () => {
  const scope = await loadScript(main);
  assert.is(scope.listeners.length, 1);
});

test('no hooks thread on Node with registerHooks; one on Node 20; no stripper thread left', () => {
  // Node 20's module.register starts one hooks thread for good; the strip child is a process.
  // (V8 may end one of its own helper threads meanwhile: count new threads, at most.)
  const added = threads() - threadsBefore;
  assert.ok(added <= (hasRegisterHooks ? 0 : 1), `threads: ${threadsBefore} before the first load, ${threads()} after`);
});

test('the type stripper does not stay in this process', () => {
  // Measured growth: Node 24 ~1 MB (was ~30: hooks thread + stripper), Node 20 ~12 MB (the
  // hooks thread; was ~28 with amaro in it).
  const grown = rssMB() - rssBefore;
  assert.ok(grown < (hasRegisterHooks ? 8 : 20), `RSS grew by ${grown.toFixed(1)} MB over the load`);
});

test('a reload sees an edit of an imported file', async () => {
  writeFileSync(join(dir, 'lib/greet.ts'), greet('bye'));
  const scope = await loadScript(main);
  assert.is(scope.listeners.length, 1);
  const { greeting } = (await import(`${new URL(`file://${join(dir, 'lib/greet.ts')}`).href}?sluice-gen=2`)) as { greeting: string };
  assert.is(greeting, 'bye!');
});

test('a load does not block this thread for the type stripping (reloads happen while serving)', async () => {
  // In-thread hooks are synchronous: stripping in them would stall every connection this
  // thread serves for the child's start-up (~0.1-0.3 s). The loader strips ahead, async.
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(dir, 'lib/greet.ts'), greet(`hello ${i}`));
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 2);
    const t0 = performance.now();
    await loadScript(main);
    const now = performance.now();
    clearInterval(tick);
    worst = Math.max(worst, now - last);
    best = Math.min(best, worst / (now - t0));
  }
  assert.ok(best < 0.5, `the longest block was ${(best * 100).toFixed(0)}% of the load`);
});

test('a syntax error in an imported file names that file and line', async () => {
  writeFileSync(join(dir, 'util.ts'), `export const a: number = 1;\nexport const suffix: string = (('!';\n`);
  try {
    await loadScript(main);
    assert.unreachable('loaded');
  } catch (err) {
    assert.instance(err, ConfigError);
    const e = err as ConfigError;
    assert.match(e.message, /script failed to load: SyntaxError/);
    assert.match(e.message, new RegExp(`${join(dir, 'util.ts').replace(/[.]/g, '\\.')}:2`));
  }
});

test('after a failed load, the fixed script loads again', async () => {
  writeFileSync(join(dir, 'util.ts'), `export const suffix: string = '?';\n`);
  const scope = await loadScript(main);
  assert.is(scope.listeners.length, 1);
});

test.run();
