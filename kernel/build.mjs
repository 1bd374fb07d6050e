#!/usr/bin/env node
// kernel/build.mjs: `npm run build:kernel`.
// Builds kernel/build/<name>.bpf.o from kernel/<name>.bpf.c with
// `clang -O2 -g -target bpf`, against a vmlinux.h that bpftool generates from
// this machine's BTF (never committed), then refreshes
// runtime/offload/layout.gen.ts. When the toolchain is missing it says so in
// one line and exits 0: Sluice then runs in user space.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build');
const BTF = '/sys/kernel/btf/vmlinux';

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

// The layout file is plain text generation and needs no toolchain.
execFileSync(process.execPath, [join(here, 'gen-layout.mjs')], { stdio: 'inherit' });

const missing = [];
const clang = which('clang');
const bpftool = which('bpftool') ?? (existsSync('/usr/sbin/bpftool') ? '/usr/sbin/bpftool' : null);
if (!clang) missing.push('clang');
if (!bpftool) missing.push('bpftool');
if (!existsSync('/usr/include/bpf/bpf_helpers.h')) missing.push('libbpf-dev (bpf/bpf_helpers.h)');
if (!existsSync(BTF)) missing.push(`kernel BTF (${BTF})`);
if (missing.length) {
  console.log(`build:kernel: skipped, missing ${missing.join(', ')}; Sluice will run in user space (apt-get install -y clang llvm libbpf-dev bpftool)`);
  process.exit(0);
}

mkdirSync(out, { recursive: true });
const vmlinux = join(out, 'vmlinux.h');
if (!existsSync(vmlinux) || statSync(vmlinux).mtimeMs < statSync(BTF).mtimeMs) {
  writeFileSync(vmlinux, execFileSync(bpftool, ['btf', 'dump', 'file', BTF, 'format', 'c'], { maxBuffer: 64 << 20 }));
}
const arch = { x64: 'x86', arm64: 'arm64', s390x: 's390', ppc64: 'powerpc' }[process.arch] ?? 'x86';
const built = [];
for (const f of readdirSync(here).filter((n) => n.endsWith('.bpf.c')).sort()) {
  const obj = join(out, f.replace(/\.c$/, '.o'));
  const r = spawnSync(clang, ['-O2', '-g', '-target', 'bpf', `-D__TARGET_ARCH_${arch}`, '-Wall', '-Werror',
    '-I', out, '-I', join(here, 'include'), '-c', join(here, f), '-o', obj], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build:kernel: clang failed on kernel/${f}`);
    process.exit(1);
  }
  built.push(f.replace(/\.c$/, '.o'));
}
console.log(`build:kernel: built ${built.join(', ')} in kernel/build/`);
