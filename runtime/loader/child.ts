// Short-lived helper processes (the loader's type stripper and mirror builder, the offload
// probe): one JSON request on stdin (or none), one JSON reply on stdout. They run apart so
// that what they load (a wasm compiler, TypeScript's parser, libbpf) never stays in the
// long-lived process.

import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ChildResult { status: number | null; signal: string | null; out: string; err: string }

// Far more than a child needs (0.1-0.5 s), even on a loaded machine; a hung one must not hang the load.
export const CHILD_TIMEOUT_MS = 60_000;

/** The child's environment: no NODE_OPTIONS, so an --inspect or --import meant for Sluice stays out. */
export const childEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_OPTIONS: '' });

export const childArgs = (script: string, flag: string): string[] => ['--no-warnings', script, flag];

/**
 * Runs `script` as a child without blocking this thread (traffic keeps flowing meanwhile),
 * writing `request` (when there is one) as JSON to its stdin. With `unref`, the child does not
 * keep this process alive.
 */
export async function runChild(script: string, flag: string, request?: unknown, opts: { unref?: boolean } = {}): Promise<ChildResult> {
  const input = request === undefined ? 'ignore' : 'pipe';
  const child = spawn(process.execPath, childArgs(script, flag), { env: childEnv(), stdio: [input, 'pipe', 'pipe'], timeout: CHILD_TIMEOUT_MS, windowsHide: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  // stdout and stderr are pipes (stdio above): never null.
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  if (opts.unref) {
    child.unref();
    for (const s of [stdout, stderr]) (s as unknown as { unref?(): void }).unref?.();
  }
  if (child.stdin) {
    child.stdin.on('error', () => { /* the child died early: 'close' says how */ });
    child.stdin.end(JSON.stringify(request));
  }
  const closed = once(child, 'close') as Promise<[number | null, string | null]>;
  const [status, signal] = await Promise.race([closed, once(child, 'error').then(([e]) => { throw e; })]);
  return { status, signal, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8') };
}
