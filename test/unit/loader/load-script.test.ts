// The script loader: scripts get in without a hooks thread (module.registerHooks where Node
// has it, a stripped mirror elsewhere), and the type stripper (13-20 MB of wasm and compiler
// memory once used) never stays in the long-lived process: it runs in a child that exits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import module from 'node:module';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadMode, loadScript } from '../../../runtime/loader/load-script.ts';
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
(globalThis as { greeting?: string }).greeting = greeting;
pipy.listen(port, ($) => $.serveHTTP(new Message(greeting)));
`);
const dir = dirname(main);
mkdirSync(join(dir, 'lib'));
const greet = (text: string) => `import { suffix } from '../util.ts';
export const greeting: string = '${text}' + suffix;
`;
writeFileSync(join(dir, 'lib/greet.ts'), greet('hello'));
writeFileSync(join(dir, 'util.ts'), `export const suffix: string = '!';\n`);

test('in-thread hooks where Node has module.registerHooks, else a mirror', () => {
  assert.is(loadMode, hasRegisterHooks ? 'hooks' : 'mirror');
});

test('a .ts script and the .ts files it imports load, types stripped', async () => {
  const scope = await loadScript(main);
  assert.is(scope.listeners.length, 1);
});

test('no thread is left behind: no hooks thread, no stripper thread', () => {
  // module.register (Node 20) would start a hooks thread for good; the strip and mirror
  // children are processes. (V8 may end one of its own helper threads meanwhile.)
  const added = threads() - threadsBefore;
  assert.ok(added <= 0, `threads: ${threadsBefore} before the first load, ${threads()} after`);
});

test('neither the type stripper nor a hooks isolate stays in this process', () => {
  // Measured growth: ~1 MB on Node 24 and ~2 MB on Node 20 (was ~12 MB there with the hooks
  // thread, ~28 MB with the stripper in it too).
  const grown = rssMB() - rssBefore;
  assert.ok(grown < 8, `RSS grew by ${grown.toFixed(1)} MB over the load`);
});

test('a reload sees an edit of an imported file', async () => {
  writeFileSync(join(dir, 'lib/greet.ts'), greet('bye'));
  const scope = await loadScript(main);
  assert.is(scope.listeners.length, 1);
  assert.is((globalThis as { greeting?: string }).greeting, 'bye!');
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
