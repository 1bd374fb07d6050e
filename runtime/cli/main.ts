// `sluice` command line.
//
//   sluice <script.ts | dir> [--threads N] [--admin-port P] [--admin-host H] [--log-level L] [--drain-timeout S]
//   sluice check <script.ts | dir>          type-check a script against the scripting API
//   sluice gateway [config.yaml | dir]      the per-node gateway (embedded demo config without argument)
//   sluice kernel up|down|status [...]      the eBPF companion (root)
//
// One process by default. With --threads N the primary forks N workers that share the
// listening sockets (the kernel spreads connections) and serves the admin API itself,
// adding up the workers' counters.

import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { Levels, log, setLogLevel, setLogPrefix, type LogLevel } from '../engine/log.ts';
import { SluiceError } from '../engine/errors.ts';
// The script worker (loader, designer, every filter) is imported where a script runs: the
// primary of --threads N only supervises, and stays ~13 MB smaller without it.
import type { Worker } from '../loader/worker.ts';
// node:http (the admin API) and node:cluster (--threads) are imported only where they serve
// (a proxy with --admin-port=-1 measured 0.4 MB of RSS less).
import type { AdminSource } from '../admin/server.ts';
import { metricsOf, statusOf, sumMetrics } from '../admin/report.ts';
import { initOffload } from '../offload/report.ts';

const require = createRequire(import.meta.url);
const VERSION = (require('../../../package.json') as { version: string }).version;

const USAGE = `Sluice ${VERSION}: a programmable L7 proxy

Usage:
  sluice <script.ts | dir>     run a pipeline script (a dir runs its main.ts)
  sluice check <script.ts>...  type-check scripts against the scripting API
  sluice gateway [config]      run the per-node gateway (built-in demo config without argument)
  sluice kernel up|down|status manage the eBPF companion (root)

Options:
  --threads N          worker processes sharing the listening ports (default 1)
  --admin-port P       admin API port (/status, /metrics); 0 picks one; default 6060, -1 disables
  --admin-host H       admin API address (default 127.0.0.1)
  --log-level L        error | warn | info | debug (default info)
  --drain-timeout S    seconds to let in-flight requests finish on SIGTERM/SIGINT (default 10)
  --version, --help

Signals: SIGHUP reloads the script (the old one keeps serving if the new one fails);
SIGTERM/SIGINT stop accepting, let in-flight requests finish, then exit.
`;

export interface RunOptions {
  threads: number;
  adminPort: number;
  adminHost: string;
  logLevel: LogLevel;
  drainTimeout: number;
}

function parseRunOptions(values: Record<string, string | boolean | undefined>): RunOptions {
  const num = (name: string, dflt: number, min: number) => {
    const v = values[name];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new SluiceError('UsageError', `--${name} expects a number >= ${min}, got '${v}'`);
    return n;
  };
  const opts: RunOptions = {
    threads: num('threads', 1, 1),
    adminPort: num('admin-port', 6060, -1),
    adminHost: (values['admin-host'] as string | undefined) ?? '127.0.0.1',
    logLevel: ((values['log-level'] as string | undefined) ?? 'info') as LogLevel,
    drainTimeout: num('drain-timeout', 10, 0),
  };
  if (!(opts.logLevel in Levels)) throw new SluiceError('UsageError', `--log-level expects error, warn, info or debug, got '${opts.logLevel}'`);
  setLogLevel(opts.logLevel);
  return opts;
}

const OPTION_SPEC = {
  threads: { type: 'string' },
  'admin-port': { type: 'string' },
  'admin-host': { type: 'string' },
  'log-level': { type: 'string' },
  'drain-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const loadCluster = async () => (await import('node:cluster')).default;

async function startAdmin(host: string, port: number, src: AdminSource): Promise<void> {
  const admin = await import('../admin/server.ts');
  await admin.startAdmin(host, port, src);
}

export async function main(argv: string[]): Promise<number> {
  // The primary forks its workers with SLUICE_WORKER_INDEX set; only they need the module here.
  if (process.env.SLUICE_WORKER_INDEX !== undefined && (await loadCluster()).isWorker) return runWorker();
  const cmd = argv[0];
  if (cmd === 'kernel') {
    const { kernelCommand } = await import('../offload/index.ts');
    return kernelCommand(argv.slice(1));
  }
  if (cmd === 'check') {
    const { checkScript } = await import('./check.ts');
    return checkScript(argv.slice(1));
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTION_SPEC, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util's messages are clear; the exit status must say "usage" (2), like no arguments.
    throw new SluiceError('UsageError', `${(err as Error).message}\nRun 'sluice --help' for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const opts = parseRunOptions(values);
  let script: string;
  if (positionals[0] === 'gateway') {
    const { gatewayScript } = await import('./gateway-entry.ts');
    script = await gatewayScript(positionals.slice(1));
  } else {
    if (positionals.length > 1) throw new SluiceError('UsageError', `expected one script, got: ${positionals.join(' ')}`);
    script = positionals[0]!;
  }
  return opts.threads > 1 ? runPrimary(script, opts) : runSingle(script, opts);
}

async function newWorker(script: string): Promise<Worker> {
  const { Worker } = await import('../loader/worker.ts');
  return new Worker(script);
}

async function runSingle(script: string, opts: RunOptions): Promise<number> {
  await initOffload();
  const worker = await newWorker(script);
  await worker.start();
  if (opts.adminPort >= 0) {
    await startAdmin(opts.adminHost, opts.adminPort, {
      status: async () => statusOf(worker),
      metrics: async () => metricsOf(worker),
      reload: () => worker.reload(),
    });
  }
  process.on('SIGHUP', () => void worker.reload());
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log.info(`${sig}: draining (up to ${opts.drainTimeout}s)`);
      worker.drain(opts.drainTimeout * 1000).then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

// ---- multi-process ----

interface WorkerReply {
  id: number;
  type: 'started' | 'status' | 'metrics' | 'reloaded' | 'failed';
  payload?: unknown;
}

async function runPrimary(script: string, opts: RunOptions): Promise<number> {
  const cluster = await loadCluster();
  // Workers accept on the shared socket themselves (no hand-off through the primary).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ args: [script], silent: false });
  const env = { SLUICE_LOG_LEVEL: opts.logLevel, SLUICE_DRAIN_TIMEOUT: String(opts.drainTimeout) };
  let seq = 0;
  const pending = new Map<number, (r: WorkerReply) => void>();
  const workers: import('node:cluster').Worker[] = [];
  let stopping = false;

  const ask = (w: import('node:cluster').Worker, type: string): Promise<WorkerReply> =>
    new Promise((resolve) => {
      const id = ++seq;
      pending.set(id, resolve);
      w.send({ id, type });
    });

  const started: Promise<void>[] = [];
  for (let i = 0; i < opts.threads; i++) {
    const w = cluster.fork({ ...env, SLUICE_WORKER_INDEX: String(i) });
    workers.push(w);
    w.on('message', (m: WorkerReply) => {
      const r = pending.get(m.id);
      if (r) {
        pending.delete(m.id);
        r(m);
      }
    });
    started.push(
      new Promise((resolve, reject) => {
        w.once('message', (m: WorkerReply) => (m.type === 'started' ? resolve() : reject(new Error(String(m.payload)))));
        w.once('exit', (code) => reject(new Error(`worker ${i} exited with code ${code}`)));
      }),
    );
  }
  try {
    await Promise.all(started);
  } catch (err) {
    for (const w of workers) w.kill();
    throw err;
  }
  log.info(`${opts.threads} workers serving ${script}`);
  cluster.on('exit', (w, code, signal) => {
    if (!stopping) log.error(`worker ${w.process.pid} died (${signal ?? code}); restart Sluice to restore capacity`);
  });

  const src: AdminSource = {
    async status() {
      const all = await Promise.all(workers.filter((w) => !w.isDead()).map((w) => ask(w, 'status')));
      return { primary: process.pid, threads: opts.threads, workers: all.map((r) => r.payload) };
    },
    async metrics() {
      const all = await Promise.all(workers.filter((w) => !w.isDead()).map((w) => ask(w, 'metrics')));
      return sumMetrics(all.map((r) => String(r.payload)));
    },
    async reload() {
      const all = await Promise.all(workers.filter((w) => !w.isDead()).map((w) => ask(w, 'reload')));
      const bad = all.find((r) => r.type === 'failed');
      return bad ? { ok: false, error: String(bad.payload) } : { ok: true };
    },
  };
  if (opts.adminPort >= 0) await startAdmin(opts.adminHost, opts.adminPort, src);
  process.on('SIGHUP', () => void src.reload());
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      stopping = true;
      log.info(`${sig}: draining workers`);
      for (const w of workers) if (!w.isDead()) w.send({ id: 0, type: 'drain' });
      let left = workers.filter((w) => !w.isDead()).length;
      if (left === 0) resolve(0);
      for (const w of workers) w.once('exit', () => --left === 0 && resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

async function runWorker(): Promise<number> {
  setLogLevel((process.env.SLUICE_LOG_LEVEL ?? 'info') as LogLevel);
  setLogPrefix(`worker ${process.env.SLUICE_WORKER_INDEX ?? '?'}`);
  const drainMs = Number(process.env.SLUICE_DRAIN_TIMEOUT ?? '10') * 1000;
  const script = process.argv[process.argv.length - 1]!;
  await initOffload();
  const worker = await newWorker(script);
  try {
    await worker.start();
  } catch (err) {
    process.send!({ id: 0, type: 'failed', payload: (err as Error).message });
    return 1;
  }
  process.send!({ id: 0, type: 'started' });
  // The primary handles signals for the group; a worker only obeys it.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  return new Promise<number>((resolve) => {
    process.on('message', (m: { id: number; type: string }) => {
      const reply = (type: WorkerReply['type'], payload?: unknown) => process.send!({ id: m.id, type, payload });
      if (m.type === 'status') reply('status', statusOf(worker));
      else if (m.type === 'metrics') reply('metrics', metricsOf(worker));
      else if (m.type === 'reload') void worker.reload().then((r) => reply(r.ok ? 'reloaded' : 'failed', r.error));
      else if (m.type === 'drain') void worker.drain(drainMs).then(() => resolve(0));
    });
  });
}
