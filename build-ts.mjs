// Compiles the TypeScript: JavaScript without comments, declarations with them.
//
//   node build-ts.mjs [--outDir DIR]     (default dist/, as tsconfig.json says)
//
// V8 keeps each module's whole source text for as long as the module lives (functions are
// compiled lazily from it), so the ~100 KB of comments in Sluice's code would stay in every
// proxy's heap (0.4 MB of old space, bench/RESULTS.md). The declarations keep their doc
// comments for editors. Two tsc runs, each incremental with its own build-info file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let outDir = join(root, 'dist');
if (args.length === 2 && args[0] === '--outDir') outDir = resolve(args[1]);
else if (args.length) {
  console.error('usage: node build-ts.mjs [--outDir DIR]');
  process.exit(2);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const common = ['-p', join(root, 'tsconfig.json'), '--outDir', outDir];
const passes = [
  [...common, '--removeComments', '--declaration', 'false', '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')],
  [...common, '--emitDeclarationOnly', '--tsBuildInfoFile', join(outDir, '.tsbuildinfo-d')],
];
for (const pass of passes) {
  const r = spawnSync(process.execPath, [tsc, ...pass], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
