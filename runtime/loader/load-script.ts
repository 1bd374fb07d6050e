// Loads a user script: a .ts/.js file, or a folder with main.ts (or main.js). Every call
// evaluates the script graph afresh (a new generation), collecting what it declares.

import module from 'node:module';
import { statSync } from 'node:fs';
import { resolve as resolvePath, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../engine/errors.ts';
import { beginLoad, endLoad, type LoadScope } from '../api/pipy.ts';

let registered = false;
let generation = 0;

export function registerHooks(): void {
  if (registered) return;
  registered = true;
  module.register(new URL('./hooks.js', import.meta.url).href, import.meta.url);
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
  registerHooks();
  const file = scriptFile(path);
  const url = `${pathToFileURL(file).href}?sluice-gen=${++generation}`;
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
