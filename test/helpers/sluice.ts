// Test helpers: run Sluice for real (a child process running bin/sluice.js, or a Worker in
// this process), talk raw bytes to it, and start simple upstreams. Everything binds loopback.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const binSluice = join(repoRoot, 'bin/sluice.js');
/**
 * The Node flags and environment the `sluice` command (bin/sluice) starts Node with. Proxies
 * under test run on the Node under test (process.execPath) with these, as users' do.
 */
export const sluiceNodeArgs = ['--optimize-for-size'];
export const sluiceEnv: NodeJS.ProcessEnv = { MALLOC_ARENA_MAX: '2' };
/** The build these tests were compiled into (dist/ or a private dist-*), so the CLI they spawn is the same build. */
export const distRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Running {
  proc: ChildProcess;
  /** stderr and stdout so far. */
  log(): string;
  /** Waits until the log matches. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  adminPort: number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sluice <args>` and waits for it to listen (and for its admin port, if enabled). */
export async function startSluice(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; ready?: RegExp } = {}): Promise<Running> {
  const proc = spawn(process.execPath, [...sluiceNodeArgs, binSluice, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { SLUICE_DIST: distRoot, ...sluiceEnv, ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: (() => void)[] = [];
  const onText = (b: Buffer) => {
    text += b.toString();
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.on('data', onText);
  proc.stderr!.on('data', onText);
  let exited = false;
  proc.on('exit', () => {
    exited = true;
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (re: RegExp, ms = 15000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${text}`)), ms);
      const check = () => {
        const m = re.exec(text);
        if (m) {
          clearTimeout(deadline);
          resolve(m);
        } else if (exited) {
          clearTimeout(deadline);
          reject(new Error(`sluice exited before ${re}:\n${text}`));
        } else waiters.push(check);
      };
      check();
    });
  const r: Running = {
    proc,
    log: () => text,
    waitFor,
    adminPort: 0,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (exited) return resolve(proc.exitCode);
        // Escalate if it does not go (a drain stuck, or Node 24's rare hang inside process.exit).
        const force = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        proc.once('exit', (code) => {
          clearTimeout(force);
          resolve(code);
        });
        proc.kill(signal);
      }),
  };
  try {
    await waitFor(opts.ready ?? /listening on/);
    if (!args.some((a) => a === '--admin-port=-1')) {
      const m = await waitFor(/admin API on http:\/\/[^:]+:(\d+)\//);
      r.adminPort = Number(m[1]);
    }
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return r;
}

/** Writes a script into a fresh temp folder and returns its path. */
export function tempScript(source: string, name = 'main.ts'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  const p = join(dir, name);
  writeFileSync(p, source);
  return p;
}

/** A port that is free right now (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Sends raw bytes (optionally in pieces, with a pause between them) and returns everything
 * received until the server closes or `idleMs` passes without data.
 */
export function rawExchange(port: number, pieces: (string | Buffer)[], opts: { host?: string; idleMs?: number; gapMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, opts.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    let idle: NodeJS.Timeout | null = null;
    const done = () => {
      if (idle) clearTimeout(idle);
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    const arm = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(done, opts.idleMs ?? 1000);
    };
    sock.on('data', (b) => {
      chunks.push(b);
      arm();
    });
    sock.on('end', done);
    sock.on('close', done);
    sock.on('error', (e) => (chunks.length ? done() : reject(e)));
    sock.on('connect', async () => {
      for (const p of pieces) {
        sock.write(p);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      arm();
    });
  });
}

export interface Upstream {
  port: number;
  server: http.Server;
  /** Requests seen, in order. */
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }[];
  close(): Promise<void>;
}

/**
 * A node:http upstream on loopback (a test peer, not the thing under test), recording what it
 * receives; on `port`, or a free one.
 */
export async function startUpstream(
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
  port = 0,
): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b) => parts.push(b));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (handler) handler(req, res, body);
      else {
        res.setHeader('content-type', 'text/plain');
        res.end(`${req.method} ${req.url} ${body.length}\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
