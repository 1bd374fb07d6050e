// Loads a user script: a .ts/.js file, or a folder with main.ts (or main.js). Every call
// evaluates the script graph afresh (a new generation), collecting what it declares.

import module from 'node:module';
import { statSync } from 'node:fs';
import { resolve as resolvePath, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../engine/errors.ts';
import { unmirror } from '../engine/script-paths.ts';
import { beginLoad, endLoad, type LoadScope } from '../api/pipy.ts';
import { syncHooks } from './hooks.ts';
import { distRoot } from './locations.ts';
import { mirrorScript, mirrorSettled, mirrorsFile } from './mirror.ts';
import { prestrip, releaseStripped } from './strip-child.ts';

let generation = 0;

/** The generation of the latest load (the one in progress, during a load). */
export const currentGeneration = (): number => generation;

type RegisterHooks = (hooks: typeof syncHooks) => unknown;

/**
 * How scripts get in: 'hooks' (module.registerHooks, in this thread: Node 22.15+) or 'mirror'
 * (stripped copies imported as plain modules, where Node's only hooks need a thread of their
 * own; see mirror.ts).
 */
export const loadMode: 'hooks' | 'mirror' = typeof (module as { registerHooks?: unknown }).registerHooks === 'function' ? 'hooks' : 'mirror';

let hooked = false;

/** Hooks Sluice's resolution and type stripping into this thread's module loader (once). */
export function registerHooks(): void {
  if (hooked) return;
  hooked = true;
  (module as unknown as { registerHooks: RegisterHooks }).registerHooks(syncHooks);
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
  const file = scriptFile(path);
  const gen = ++generation;
  let url: string;
  try {
    url = await scriptURL(file, gen);
  } catch (err) {
    if (loadMode === 'mirror') mirrorSettled(gen, false);
    throw loadError(err, file);
  }
  const scope = beginLoad();
  let ok = false;
  try {
    await import(url);
    ok = true;
  } catch (err) {
    throw loadError(err, file);
  } finally {
    endLoad();
    if (loadMode === 'hooks') releaseStripped();
    else mirrorSettled(gen, ok);
  }
  if (scope.listeners.length === 0) throw new ConfigError('the script declares no listener (pipy.listen)', file);
  return scope;
}

/** What to import for generation `gen` of the script. */
async function scriptURL(file: string, gen: number): Promise<string> {
  const url = `${pathToFileURL(file).href}?sluice-gen=${gen}`;
  if (loadMode === 'hooks') {
    registerHooks();
    // In-thread hooks would block this thread to strip: strip ahead, in a child, without blocking.
    if (/\.m?ts$/.test(file)) await prestrip(file);
    return url;
  }
  // A script in this build (the gateway's) is plain JS importing plain JS: nothing to copy.
  if (url.startsWith(distRoot) || !mirrorsFile(file)) return url;
  return mirrorScript(file, gen);
}

/** A failed load as a ConfigError that says where the script is broken. */
function loadError(err: unknown, file: string): Error {
  if (err instanceof ConfigError) return err;
  const e = err as Error;
  const message = unmirror(String(e?.message ?? err));
  // The type stripper puts `file:line:col: ` first in its messages; V8's syntax and load
  // errors carry the location in the stack (the script's own frames, not Sluice's).
  const stripped = /^(\/[^\n]*?:\d+:\d+): ([^]*)$/.exec(message);
  if (stripped) return new ConfigError(`script failed to load: ${e.name}: ${stripped[2]}`, stripped[1]);
  const loc = scriptFrame(unmirror(e?.stack ?? '')) ?? file;
  return new ConfigError(`script failed to load: ${e?.name ?? 'Error'}: ${message}`, loc);
}

/** The first file:line in a stack that is the user's (not Sluice's, not node's). */
function scriptFrame(stack: string): string | null {
  const re = /(file:\/\/[^\s)]+?)(?:\?[^\s):]*)?:(\d+)(?::(\d+))?/g;
  for (let m = re.exec(stack); m; m = re.exec(stack)) {
    const url = m[1]!;
    if (url.startsWith(distRoot) || url.includes('/node_modules/')) continue;
    return `${url.replace('file://', '')}:${m[2]}${m[3] ? `:${m[3]}` : ''}`;
  }
  return null;
}
