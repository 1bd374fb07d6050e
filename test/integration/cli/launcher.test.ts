// The `sluice` command (bin/sluice) starts Node with a young generation sized for a proxy:
// without it, V8 grows the young generation to 32 MB under steady allocation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distRoot, repoRoot, sluiceNodeArgs, tempScript } from '../../helpers/sluice.ts';

// Keeps 50k small objects alive while allocating 300k: enough survivors for V8 to grow its
// young generation as far as it may. Prints the young generation's size and Node's flags.
const script = tempScript(`import v8 from 'node:v8';
const keep: object[] = new Array(50_000);
for (let i = 0; i < 300_000; i++) keep[i % 50_000] = { i, list: [i] };
const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!;
console.log(JSON.stringify({ youngMB: young.space_size / 1048576, execArgv: process.execArgv }));
process.exit(0);
`);

function run(command: string, env: NodeJS.ProcessEnv = {}): { youngMB: number; execArgv: string[] } {
  const r = spawnSync(command, [script, '--admin-port=-1'], { env: { ...process.env, SLUICE_DIST: distRoot, NODE_OPTIONS: '', ...env }, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { youngMB: number; execArgv: string[] };
}

test('the command caps the young generation at 2 MB semi-spaces', () => {
  const r = run(join(repoRoot, 'bin/sluice'));
  assert.equal(r.execArgv, ['--max-semi-space-size=2']);
  assert.equal(sluiceNodeArgs, r.execArgv, 'the test helpers start proxies as the command does');
  assert.ok(r.youngMB <= 4, `young generation ${r.youngMB} MB`);
});

test('it works through a symlink, as npm installs it', () => {
  const link = join(mkdtempSync(join(tmpdir(), 'sluice-bin-')), 'sluice');
  symlinkSync(join(repoRoot, 'bin/sluice'), link);
  assert.ok(run(link).youngMB <= 4);
});

test('a --max-semi-space-size in NODE_OPTIONS wins', () => {
  const r = run(join(repoRoot, 'bin/sluice'), { NODE_OPTIONS: '--max-semi-space-size=8' });
  assert.equal(r.execArgv, []);
  assert.ok(r.youngMB > 4 && r.youngMB <= 16, `young generation ${r.youngMB} MB`);
});

test.run();
