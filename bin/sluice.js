#!/usr/bin/env node
// Entry point: the CLI lives in dist/ (built by `npm run build`, which `npm ci` runs).
// SLUICE_DIST points at another build folder (used by tests run against a private build).
const dist = process.env.SLUICE_DIST ? new URL(`file://${process.env.SLUICE_DIST.replace(/\/?$/, '/')}`) : new URL('../dist/', import.meta.url);
let main;
try {
  ({ main } = await import(new URL('runtime/cli/main.js', dist).href));
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
