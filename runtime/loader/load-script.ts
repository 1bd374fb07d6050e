// Loads a user script: a .ts/.js file, or a folder with main.ts (or main.js). Every call
// evaluates the script graph afresh (a new generation), collecting what it declares.

import module from 'node:module';
import { statSync } from 'node:fs';
import { resolve as resolvePath, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { ConfigError } from '../engine/errors.ts';
import { beginLoad, endLoad, type LoadScope } from '../api/pipy.ts';
import { syncHooks } from './hooks.ts';
import { prestrip, releaseStripped } from './strip-child.ts';

let generation = 0;

type RegisterHooks = (hooks: typeof syncHooks) => unknown;

/** How scripts are hooked in: 'sync' (in this thread) where Node has module.registerHooks. */
export const hookMode: 'sync' | 'thread' = typeof (module as { registerHooks?: unknown }).registerHooks === 'function' ? 'sync' : 'thread';

interface Hooked { loadDone(): void }
let hooked: Hooked | null = null;

export function registerHooks(): Hooked {
  hooked ??= install();
  return hooked;
}

function install(): Hooked {
  if (hookMode === 'sync') {
    // In-thread hooks: no hooks thread (its isolate is ~13 MB of RSS for good).
    (module as unknown as { registerHooks: RegisterHooks }).registerHooks(syncHooks);
    return { loadDone: releaseStripped };
  }
  // This port tells the hooks thread when a load is over.
  const { port1, port2 } = new MessageChannel();
  port1.unref();
  module.register(new URL('./hooks.js', import.meta.url).href, { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
  return { loadDone: () => port1.postMessage('done') };
}

/** The script file a path names (a folder means its main.ts). */
export function scriptFile(path: string): string {
  const abs = resolvePath(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new ConfigError(`no such script: ${path}`, path);
  }
  if (st.isDirectory()) {
    for (const name of ['main.ts', 'main.js', 'main.mjs']) {
      try {
        if (statSync(join(abs, name)).isFile()) return join(abs, name);
      } catch { /* next */ }
    }
    throw new ConfigError(`folder ${path} has no main.ts`, path);
  }
  return abs;
}

let loading: Promise<unknown> = Promise.resolve();

/** Imports the script and returns what it declared. Loads are serialised. */
export function loadScript(path: string): Promise<LoadScope> {
  const run = loading.then(() => doLoad(path));
  loading = run.catch(() => undefined);
  return run;
}

async function doLoad(path: string): Promise<LoadScope> {
  const hooks = registerHooks();
  const file = scriptFile(path);
  const url = `${pathToFileURL(file).href}?sluice-gen=${++generation}`;
  // The hooks thread (Node 20) strips off this thread anyway; in-thread hooks would block it.
  if (hookMode === 'sync' && /\.m?ts$/.test(file)) await prestrip(file);
  const scope = beginLoad();
  try {
    await import(url);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const e = err as Error;
    // The type stripper puts `file:line:col: ` first in its messages; V8's syntax and load
    // errors carry the location in the stack (the script's own frames, not Sluice's).
    const stripped = /^(\/[^\n]*?:\d+:\d+): ([^]*)$/.exec(e.message ?? '');
    if (stripped) throw new ConfigError(`script failed to load: ${e.name}: ${stripped[2]}`, stripped[1]);
    const loc = scriptFrame(e.stack ?? '') ?? file;
    throw new ConfigError(`script failed to load: ${e.name}: ${e.message}`, loc);
  } finally {
    endLoad();
    hooks.loadDone();
  }
  if (scope.listeners.length === 0) throw new ConfigError('the script declares no listener (pipy.listen)', file);
  return scope;
}

const runtimeRoot = new URL('../../', import.meta.url).href;

/** The first file:line in a stack that is the user's (not Sluice's, not node's). */
function scriptFrame(stack: string): string | null {
  const re = /(file:\/\/[^\s)]+?)(?:\?[^\s):]*)?:(\d+)(?::(\d+))?/g;
  for (let m = re.exec(stack); m; m = re.exec(stack)) {
    const url = m[1]!;
    if (url.startsWith(runtimeRoot) || url.includes('/node_modules/')) continue;
    return `${url.replace('file://', '')}:${m[2]}${m[3] ? `:${m[3]}` : ''}`;
  }
  return null;
}
