// The `sluice` command (bin/sluice) starts Node with V8 and malloc sized for a proxy: without
// it, V8 grows the young generation to 32 MB under steady allocation, lets the old generation
// reach 4x what survived its last full GC, and glibc gives every thread its own arena.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distRoot, repoRoot, sluiceEnv, sluiceNodeArgs, tempScript } from '../../helpers/sluice.ts';

// Keeps 50k small objects alive while allocating 300k: enough survivors for V8 to grow its
// young generation as far as it may. Prints the young generation's size and Node's flags.
const script = tempScript(`import v8 from 'node:v8';
const keep: object[] = new Array(50_000);
for (let i = 0; i < 300_000; i++) keep[i % 50_000] = { i, list: [i] };
const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!;
console.log(JSON.stringify({ youngMB: young.space_size / 1048576, execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX ?? null }));
process.exit(0);
`);

interface Started { youngMB: number; execArgv: string[]; arenas: string | null }

function run(command: string, env: NodeJS.ProcessEnv = {}, before: string[] = []): Started {
  const base: NodeJS.ProcessEnv = { ...process.env, SLUICE_DIST: distRoot, NODE_OPTIONS: '' };
  delete base.MALLOC_ARENA_MAX;
  const r = spawnSync(command, [...before, script, '--admin-port=-1'], { env: { ...base, ...env }, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Started;
}

test('the command sizes V8 for memory (1 MB semi-spaces) and limits malloc to 2 arenas', () => {
  const r = run(join(repoRoot, 'bin/sluice'));
  assert.equal(r.execArgv, ['--optimize-for-size']);
  assert.is(r.arenas, '2');
  assert.equal(sluiceNodeArgs, r.execArgv, 'the test helpers start proxies as the command does');
  assert.equal(sluiceEnv, { MALLOC_ARENA_MAX: r.arenas });
  assert.ok(r.youngMB <= 2, `young generation ${r.youngMB} MB`);
});

test('it works through a symlink, as npm installs it', () => {
  const link = join(mkdtempSync(join(tmpdir(), 'sluice-bin-')), 'sluice');
  symlinkSync(join(repoRoot, 'bin/sluice'), link);
  assert.ok(run(link).youngMB <= 2);
});

test('a --max-semi-space-size in NODE_OPTIONS wins', () => {
  const r = run(join(repoRoot, 'bin/sluice'), { NODE_OPTIONS: '--max-semi-space-size=8' });
  assert.equal(r.execArgv, []);
  assert.ok(r.youngMB > 4 && r.youngMB <= 16, `young generation ${r.youngMB} MB`);
});

test('an MALLOC_ARENA_MAX already set wins', () => {
  assert.is(run(join(repoRoot, 'bin/sluice'), { MALLOC_ARENA_MAX: '8' }).arenas, '8');
});

test('node bin/sluice.js runs with the defaults', () => {
  const r = run(process.execPath, {}, [join(repoRoot, 'bin/sluice.js')]);
  assert.equal(r.execArgv, []);
  assert.is(r.arenas, null);
  assert.ok(r.youngMB > 2, `young generation ${r.youngMB} MB`);
});

test.run();
