// Runs every compiled test file (dist/test/**/*.test.js), each in its own Node process so a
// leaked socket or a hang in one file cannot stall or skew the others, and ends with the
// line CI reads: `N passed, N failed, N skipped`.
//
//   node dist/test/run.js [filter...]     only files whose path contains one of the filters
//
// Environment: SLUICE_TEST_TIMEOUT (seconds per file, default 900: the machines are shared and noisy).

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const timeoutMs = Number(process.env.SLUICE_TEST_TIMEOUT ?? '900') * 1000;
// Kernel tests first load BPF programs; they run last so a failure there can't hide others.
const ORDER = ['unit', 'integration', 'conformance', 'kernel'];

function find(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

interface Result {
  file: string;
  total: number;
  passed: number;
  skipped: number;
  crashed: string | null;
}

function runFile(file: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      process.stdout.write(b);
    });
    child.stderr.on('data', (b: Buffer) => process.stderr.write(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const num = (label: string) => {
        const m = new RegExp(`${label}:\\s+(\\d+)`).exec(out);
        return m ? Number(m[1]) : -1;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      let crashed: string | null = null;
      if (signal === 'SIGKILL') crashed = `timed out after ${timeoutMs / 1000}s`;
      else if (total < 0) crashed = `exited (${signal ?? code}) without a uvu summary`;
      resolve({ file, total: Math.max(total, 0), passed: Math.max(passed, 0), skipped: Math.max(skipped, 0), crashed });
    });
  });
}

const filters = process.argv.slice(2);
const root = here;
const files = find(root, [])
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => {
    const ra = ORDER.findIndex((d) => relative(root, a).startsWith(d));
    const rb = ORDER.findIndex((d) => relative(root, b).startsWith(d));
    return ra - rb || a.localeCompare(b);
  });

let passed = 0;
let failed = 0;
let skipped = 0;
const failures: string[] = [];
const started = Date.now();
for (const file of files) {
  const name = relative(root, file);
  process.stdout.write(`\n=== ${name}\n`);
  const r = await runFile(file);
  passed += r.passed;
  skipped += r.skipped;
  const f = r.total - r.passed - r.skipped;
  failed += f;
  if (r.crashed) {
    failed += 1;
    failures.push(`${name}: ${r.crashed}`);
  } else if (f > 0) failures.push(`${name}: ${f} failed`);
}
process.stdout.write(`\n${files.length} test files in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
for (const f of failures) process.stdout.write(`FAILED ${f}\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
