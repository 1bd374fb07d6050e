// Rewriting a module for a script's mirror: only real import specifiers and real `import.meta`
// change, and no line (nor, for import.meta, any column) moves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import type * as TS from 'typescript';
import { META_NAME, rewriteModule } from '../../../runtime/loader/rewrite-module.ts';

const ts = createRequire(import.meta.url)('typescript') as typeof TS;
const upper = (s: string) => (s.startsWith('./') ? s.toUpperCase() : null);
const rewrite = (code: string) => rewriteModule(ts, code, '/x/main.js', upper);

test('static, re-exported and literal dynamic imports are rewritten', () => {
  const code = [
    `import a from './a.ts';`,
    `import { b } from "./b.ts";`,
    `import './side.ts';`,
    `export * from './c.ts';`,
    `export { d } from './d.ts';`,
    `const e = await import('./e.ts');`,
    'const f = await import(`./f.ts`);',
    `import g from 'yaml';`,
  ].join('\n');
  const out = rewrite(code).code.split('\n');
  assert.is(out[0], `import a from "./A.TS";`);
  assert.is(out[1], `import { b } from "./B.TS";`);
  assert.is(out[2], `import "./SIDE.TS";`);
  assert.is(out[3], `export * from "./C.TS";`);
  assert.is(out[4], `export { d } from "./D.TS";`);
  assert.is(out[5], `const e = await import("./E.TS");`);
  assert.is(out[6], `const f = await import("./F.TS");`);
  assert.is(out[7], `import g from 'yaml';`, 'the map kept it');
});

test('look-alikes in strings, comments, templates and regular expressions stay', () => {
  const code = [
    `const s = "import x from './a.ts'";`,
    `// import y from './b.ts'`,
    `/* import.meta.url */`,
    'const t = `import(\'./c.ts\') ${1 / 2} import.meta`;',
    `const r = /import\\('.\\/d.ts'\\)/;`,
    `const o = { import: 1 }; o.import; const meta = 2;`,
  ].join('\n');
  const r = rewrite(code);
  assert.is(r.code, code);
  assert.is(r.usesMeta, false);
});

test('import.meta becomes a name of its own length, wherever it is', () => {
  const code = `const u = import.meta.url;\nfunction f() { return import.meta.dirname + import.meta.resolve('./x'); }\n`;
  const r = rewrite(code);
  assert.ok(r.usesMeta);
  assert.is(META_NAME.length, 'import.meta'.length);
  assert.is(r.code, code.replaceAll('import.meta', META_NAME));
});

test('import.meta spelt over lines keeps its lines', () => {
  const code = `const u = import\n  .meta.url;\nthrow new Error('here');\n`;
  const r = rewrite(code);
  assert.is(r.code.split('\n').length, code.split('\n').length);
  assert.ok(r.code.startsWith(`const u = ${META_NAME}`));
  assert.is(r.code.split('\n')[2], `throw new Error('here');`);
});

test('nothing to change: the same string back', () => {
  const code = `import x from 'node:fs';\nexport const y = 1;\n`;
  assert.is(rewrite(code).code, code);
});

test.run();
