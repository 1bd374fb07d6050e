// test/kernel/helpers.ts: a private cgroup + network namespace per test file,
// children run inside them, and cleanup that happens even on failure.
//
//   const env = await KernelEnv.create('connect4');   // cgroup, netns, pin dir
//   env.up({ ports: [9000] });                          // sluice kernel up on the cgroup
//   const r = await env.run('fixtures/x.js', [...], { inCgroup: true });
//   await env.destroy();                                // down, kill, rmdir, netns del
//
// Children are started as
//   nsenter --net=/run/netns/NAME -- sh -c 'echo $$ > CG/cgroup.procs; exec node ...'
// so they are in the cgroup before their first socket. Never `ip netns
// exec`: it remounts /sys and hides bpffs.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelDown, kernelUp, offloadStatus } from '../../runtime/offload/index.ts';
import type { UpOptions } from '../../runtime/offload/index.ts';
import { nativeAddon, objectDir } from '../../runtime/offload/native.ts';
import { cgroup2Root } from '../../runtime/offload/control.ts';
import { pinnedMap } from '../../runtime/offload/maps.ts';
import type { MapName } from '../../runtime/offload/maps.ts';

export const here = dirname(fileURLToPath(import.meta.url));

/** '' when kernel tests can run here, else why not. */
export function kernelSkipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  if (!nativeAddon()) return 'native addon not built (npm run build:native)';
  for (const o of ['sockops.bpf.o', 'connect4.bpf.o']) {
    if (!existsSync(join(objectDir, o))) return `${o} not built (npm run build:kernel)`;
  }
  if (!cgroup2Root()) return 'no cgroup v2 mount';
  if (spawnSync('sh', ['-c', 'command -v nsenter && command -v ip'], { stdio: 'ignore' }).status !== 0) {
    return 'nsenter or ip (iproute2) missing';
  }
  return '';
}

/** Only the hand-off needs no BPF objects: '' when the addon is there. */
export function handOffSkipReason(): string {
  if (process.getuid?.() !== 0) return 'not root (needed for the cgroup and netns)';
  if (!nativeAddon()) return 'native addon not built (npm run build:native)';
  if (!cgroup2Root()) return 'no cgroup v2 mount';
  return '';
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the last stdout line that parsed as JSON */
  json: any;
}

export interface RunOptions {
  /** put the child in the test cgroup (programs apply to it); default true */
  inCgroup?: boolean;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const liveEnvs = new Set<KernelEnv>();

// Last resort if the test process dies between create() and destroy().
process.on('exit', () => {
  for (const e of liveEnvs) e.destroySync();
});

export class KernelEnv {
  readonly name: string;
  readonly cgroup: string;
  readonly netns: string;
  readonly pinDir: string;
  readonly #children = new Set<ChildProcess>();
  #up = false;

  private constructor(name: string, cgroup: string, netns: string, pinDir: string) {
    this.name = name;
    this.cgroup = cgroup;
    this.netns = netns;
    this.pinDir = pinDir;
  }

  static async create(label: string): Promise<KernelEnv> {
    const name = `sluice-t-${label}-${process.pid}`;
    const root = cgroup2Root();
    if (!root) throw new Error('no cgroup v2 mount');
    const cgroup = join(root, name);
    const env = new KernelEnv(name, cgroup, name, `/sys/fs/bpf/${name}`);
    liveEnvs.add(env);
    sh('mkdir', ['-p', cgroup]);
    sh('ip', ['netns', 'add', name]);
    sh('nsenter', [`--net=/run/netns/${name}`, '--', 'ip', 'link', 'set', 'lo', 'up']);
    // Pins go to a directory of this test's own; the runtime reads it from here.
    process.env.SLUICE_BPF_DIR = env.pinDir;
    return env;
  }

  /** `sluice kernel up` on this test's cgroup, pinned in its own directory. */
  up(opts: Omit<UpOptions, 'cgroup'> = {}): void {
    process.env.SLUICE_BPF_DIR = this.pinDir;
    kernelUp({ ...opts, cgroup: this.cgroup });
    this.#up = true;
  }

  down(): void {
    process.env.SLUICE_BPF_DIR = this.pinDir;
    kernelDown();
    this.#up = false;
  }

  status() {
    process.env.SLUICE_BPF_DIR = this.pinDir;
    return offloadStatus();
  }

  /** Runs `node script args` in the netns (and cgroup); resolves on exit. */
  run(script: string, args: string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    const child = this.spawn(script, args, opts);
    let stdout = '', stderr = '';
    let exitHang: NodeJS.Timeout | null = null;
    let hungAtExit = false;
    child.stdout!.on('data', (d) => {
      stdout += d;
      // Fixtures print one JSON result line and then exit. Node 24 was seen here to deadlock
      // inside process.exit() (main thread parked in a futex, every socket already closed):
      // once the result is out, a child that has not exited 10 s later is killed and counted
      // by its result, with a note, instead of failing a transfer that completed.
      if (exitHang === null && /\}\s*\n/.test(stdout)) {
        exitHang = setTimeout(() => {
          hungAtExit = true;
          process.stderr.write(`note: ${script} printed its result but did not exit within 10 s (Node ${process.version} exit hang); killed\n`);
          child.kill('SIGKILL');
        }, 10_000);
      }
    });
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    return new Promise((resolve) => {
      child.on('close', (rawCode) => {
        clearTimeout(timer);
        if (exitHang) clearTimeout(exitHang);
        const code = hungAtExit ? 0 : rawCode;
        this.#children.delete(child);
        let json: any = null;
        for (const line of stdout.trim().split('\n').reverse()) {
          try {
            json = JSON.parse(line);
            break;
          } catch {
            // not JSON
          }
        }
        if (code !== 0) process.stderr.write(stderr);
        resolve({ code, stdout, stderr, json });
      });
    });
  }

  /** Starts a long-running child (a server); kill it or let destroy() do it. */
  spawn(script: string, args: string[] = [], opts: RunOptions = {}): ChildProcess {
    const path = script.startsWith('/') ? script : join(here, script);
    const enter = opts.inCgroup === false
      ? 'exec "$0" "$@"'
      : `echo $$ > '${this.cgroup}/cgroup.procs' && exec "$0" "$@"`;
    const child = spawn('nsenter', [`--net=/run/netns/${this.netns}`, '--', 'sh', '-c', enter, process.execPath, path, ...args], {
      env: { ...process.env, SLUICE_BPF_DIR: this.pinDir, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    child.on('exit', () => this.#children.delete(child));
    return child;
  }

  async destroy(): Promise<void> {
    for (const c of this.#children) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    this.destroySync();
  }

  destroySync(): void {
    for (const c of this.#children) c.kill('SIGKILL');
    if (this.#up || existsSync(this.pinDir)) {
      try {
        this.down();
      } catch (err) {
        process.stderr.write(`cleanup: kernel down: ${(err as Error).message}\n`);
      }
    }
    // Move stragglers out so the cgroup can be removed.
    try {
      const root = cgroup2Root()!;
      for (const pid of readFileSync(join(this.cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
        try {
          writeFileSync(join(root, 'cgroup.procs'), pid);
        } catch {
          // exited meanwhile
        }
      }
    } catch {
      // no cgroup
    }
    for (let i = 0; i < 20 && existsSync(this.cgroup); i++) {
      try {
        rmdirSync(this.cgroup);
      } catch {
        spawnSync('sleep', ['0.05']);
      }
    }
    spawnSync('ip', ['netns', 'del', this.netns], { stdio: 'ignore' });
    liveEnvs.delete(this);
  }
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.trim() || r.error?.message}`);
}

/** Entries in a pinned map of the current pin dir (for "maps empty afterwards"). */
export function mapEntries(name: string): number {
  const { map } = pinnedMapForTest(name);
  return map ? map.keys().length : -1;
}

function pinnedMapForTest(name: string) {
  return pinnedMap(name as MapName);
}
