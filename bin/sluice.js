#!/usr/bin/env node
// Entry point: the CLI lives in dist/ (built by `npm run build`, which `npm ci` runs).
let main;
try {
  ({ main } = await import('../dist/runtime/cli/main.js'));
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('sluice: not built yet: run `npm run build` (or `npm ci`) in the Sluice folder');
    process.exit(1);
  }
  throw err;
}
main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(`sluice: ${err && err.message ? err.message : err}`);
    process.exit(err && err.code === 'UsageError' ? 2 : 1);
  },
);
