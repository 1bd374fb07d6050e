#!/usr/bin/env node
// native/build.mjs: `npm run build:native`.
// Builds native/build/Release/sluice_native.node with node-gyp. When libbpf's
// headers, node-addon-api, node-gyp or Node's headers are missing it says so
// in one line and exits 0: Sluice then runs in user space.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function resolve(id) {
  try { return require.resolve(id); } catch { return null; }
}

const missing = [];
if (!existsSync('/usr/include/bpf/libbpf.h')) missing.push('libbpf-dev');
if (!resolve('node-addon-api')) missing.push('node-addon-api (npm install)');
const gyp = resolve('node-gyp/bin/node-gyp.js') ??
  [join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
   '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
   '/usr/share/nodejs/node-gyp/bin/node-gyp.js'].find((p) => existsSync(p));
if (!gyp) missing.push('node-gyp');
const nodedir = process.env.npm_config_nodedir ||
  (existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
if (missing.length) {
  console.log(`build:native: skipped, missing ${missing.join(', ')}; Sluice will run in user space`);
  process.exit(0);
}
const args = [gyp, 'rebuild', '--loglevel=warn', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { cwd: here, stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) {
  console.error('build:native: node-gyp failed (see above)');
  process.exit(1);
}
console.log('build:native: built native/build/Release/sluice_native.node');
