// The command line's answers to mistakes: usage and exit 2 for usage errors, a clear message
// for a missing script.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { binSluice, distRoot, repoRoot } from '../../helpers/sluice.ts';

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [binSluice, ...args], {
    cwd: repoRoot,
    env: { ...process.env, SLUICE_DIST: distRoot },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('no arguments: usage, exit 2', () => {
  const r = sluice();
  assert.is(r.code, 2);
  assert.match(r.out + r.err, /Usage:\s+sluice <script\.ts \| dir>/);
  assert.match(r.out + r.err, /--admin-port/);
});

test('--help: usage, exit 0', () => {
  const r = sluice('--help');
  assert.is(r.code, 0);
  assert.match(r.out, /Usage:/);
});

test('an unknown option: names it, exit 2', () => {
  const r = sluice('examples/hello.ts', '--bogus');
  assert.is(r.code, 2);
  assert.match(r.err, /Unknown option '--bogus'/);
  assert.match(r.err, /sluice --help/);
});

test('bad option values: exit 2 with the option named', () => {
  let r = sluice('examples/hello.ts', '--threads', 'many');
  assert.is(r.code, 2);
  assert.match(r.err, /--threads expects a number/);
  r = sluice('examples/hello.ts', '--log-level', 'loud');
  assert.is(r.code, 2);
  assert.match(r.err, /--log-level expects error, warn, info or debug/);
});

test('a missing script: a clear error naming it, exit 1, nothing bound', () => {
  const r = sluice('no/such/script.ts', '--admin-port=-1');
  assert.is(r.code, 1);
  assert.match(r.err, /no such script: no\/such\/script\.ts/);
  assert.not.match(r.err, /listening on/);
});

test('a folder without main.ts: a clear error', () => {
  const r = sluice('test', '--admin-port=-1');
  assert.is(r.code, 1);
  assert.match(r.err, /folder test has no main\.ts/);
});

test.run();
