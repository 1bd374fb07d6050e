// The layering rules of style.md, checked on the sources:
//  - pipelines/ sees only the public API (pipelines/api), never runtime/ directly;
//  - codecs know bytes and heads, not pipelines, filters or sockets;
//  - runtime/ never reaches into pipelines/ (the CLI, the composition root, may start the gateway);
//  - no `_underscore` private fields in our classes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/sluice.ts';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push((m[1] ?? m[2])!);
  return out;
}

function target(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return relative(repoRoot, resolve(dirname(file), spec));
}

test('pipelines/ imports only the public API (and its own modules)', () => {
  const bad: string[] = [];
  for (const f of sources(join(repoRoot, 'pipelines'))) {
    if (f.startsWith(join(repoRoot, 'pipelines/api'))) continue;
    for (const spec of importsOf(f)) {
      const t = target(f, spec);
      if (t !== null && !t.startsWith('pipelines/')) bad.push(`${relative(repoRoot, f)} imports ${spec}`);
    }
  }
  assert.equal(bad, []);
});

test('codecs do not import the engine pipeline, filters or sockets', () => {
  const bad: string[] = [];
  for (const f of sources(join(repoRoot, 'runtime/codecs'))) {
    for (const spec of importsOf(f)) {
      const t = target(f, spec) ?? spec;
      if (/engine\/pipeline|runtime\/filters|runtime\/net|^node:net$/.test(t)) bad.push(`${relative(repoRoot, f)} imports ${spec}`);
    }
  }
  assert.equal(bad, []);
});

test('runtime/ does not import pipelines/ (except the CLI starting the gateway)', () => {
  const bad: string[] = [];
  for (const f of sources(join(repoRoot, 'runtime'))) {
    if (f.startsWith(join(repoRoot, 'runtime/cli'))) continue;
    for (const spec of importsOf(f)) {
      const t = target(f, spec);
      if (t !== null && t.startsWith('pipelines/')) bad.push(`${relative(repoRoot, f)} imports ${spec}`);
    }
  }
  assert.equal(bad, []);
});

test('no _underscore fields in runtime/ and pipelines/ classes', () => {
  const bad: string[] = [];
  for (const dir of ['runtime', 'pipelines']) {
    for (const f of sources(join(repoRoot, dir))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bthis\._[a-zA-Z]\w*/g)) bad.push(`${relative(repoRoot, f)}: ${m[0]}`);
    }
  }
  assert.equal(bad, []);
});

test.run();
