// Helpers for tests that run the examples as users do: fixed ports (the ones each example
// documents), real HTTP over loopback. Tests run one file at a time, so fixed ports don't
// collide between them; something else holding a port is reported as such, not as a failure
// of the example.

import net from 'node:net';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startSluice, startUpstream, repoRoot, type Running, type Upstream } from './sluice.ts';

export const examplesDir = join(repoRoot, 'examples');

/**
 * Re-runs this test file in a network namespace of its own when it can (root, `unshare` and
 * `ip` present), so the examples' fixed ports cannot meet anything else on a shared machine.
 * Otherwise (or with SLUICE_TEST_NETNS=0) it runs in place, on the host's loopback.
 * Call at the top of a test file; returns only in the process that runs the tests.
 */
export function isolateNetwork(): void {
  if (process.env.SLUICE_TEST_NETNS === '0' || process.env.SLUICE_TEST_NETNS === 'inside') return;
  if (process.getuid?.() !== 0) return;
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!has('unshare') || !has('ip')) return;
  const r = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SLUICE_TEST_NETNS: 'inside' },
  });
  if (r.error) return; // could not isolate: run here
  process.exit(r.status ?? 1);
}

/** Throws a clear error when a port an example needs is taken. */
export async function assertPortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    const busy = await new Promise<string | null>((resolve) => {
      const s = net.createServer();
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      s.listen({ port, host: '::', exclusive: true }, () => s.close(() => resolve(null)));
    });
    if (busy) throw new Error(`port ${port} is not free (${busy}): the examples use fixed ports; stop whatever listens on ${port} and run again`);
  }
}

/** Runs `sluice examples/<name>` and waits until every port in `ports` is listening. */
export async function runExample(name: string, ports: number[], args: string[] = ['--admin-port=-1']): Promise<Running> {
  try {
    await assertPortsFree(ports);
    const r = await startSluice([join(examplesDir, name), ...args]);
    for (const p of ports) await r.waitFor(new RegExp(`listening on \\S*:${p}\\b`));
    return r;
  } catch (err) {
    // uvu does not print errors thrown by hooks: say it here.
    process.stderr.write(`cannot run examples/${name}: ${(err as Error).message}\n`);
    throw err;
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Server address (default 127.0.0.1). */
  host?: string;
  /** Client address to send from, e.g. 127.0.0.2 (all of 127/8 is loopback). */
  localAddress?: string;
  agent?: http.Agent | false;
}

/** One HTTP request; a fresh connection unless an agent is given. */
export function request(port: number, path: string, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'),
        headers: opts.headers,
        localAddress: opts.localAddress,
        agent: opts.agent ?? false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer for ${path} within 10 s`)));
    req.end(opts.body);
  });
}

/** A node:http upstream on a fixed loopback port, recording what it receives. */
export async function fixedUpstream(
  port: number,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
): Promise<Upstream> {
  try {
    await assertPortsFree([port]);
  } catch (err) {
    process.stderr.write(`cannot start the test upstream: ${(err as Error).message}\n`);
    throw err;
  }
  const reply = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.setHeader('content-type', 'text/plain');
    res.end(`upstream ${port}: ${req.method} ${req.url}\n`);
  };
  return startUpstream(handler ?? reply, port);
}
