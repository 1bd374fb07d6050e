// Module hooks for user scripts:
//  - `import ... from 'sluice'` resolves to the scripting API of this installation, wherever
//    the script lives;
//  - bare imports a script's own folder cannot resolve (`yaml`) fall back to Sluice's own
//    dependencies;
//  - `.ts` files are type-stripped, in a child process (strip-child.ts);
//  - a reload imports the script with `?sluice-gen=N`, and every relative import inherits the
//    generation, so the whole script graph is evaluated afresh while Sluice itself is not.
//
// Two ways in, the same behaviour: `syncHooks` for module.registerHooks (Node 22.15+, 23.5+),
// which run in this thread; `initialize`/`resolve`/`load` for module.register (Node 20), which
// run on a hooks thread of their own (an isolate of ~13 MB for as long as the process lives).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { releaseStripped, stripFile } from './strip-child.ts';

const apiURL = new URL('../../pipelines/api/index.js', import.meta.url).href;
const modulesURL = new URL('../../pipelines/modules/index.js', import.meta.url).href;
const distRoot = new URL('../../', import.meta.url).href; // this build (dist/)
const packageRoot = new URL('../', distRoot).href; // the folder holding it
const GEN = 'sluice-gen=';

interface ResolveContext { parentURL?: string; conditions: string[]; importAttributes?: object }
interface Resolved { url: string; format?: string | null; shortCircuit?: boolean }
interface LoadContext { format?: string | null; conditions: string[]; importAttributes?: object }
interface Loaded { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean }
type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => Promise<Resolved>;
type NextLoad = (url: string, context?: Partial<LoadContext>) => Promise<Loaded>;
type NextResolveSync = (specifier: string, context?: Partial<ResolveContext>) => Resolved;
type NextLoadSync = (url: string, context?: Partial<LoadContext>) => Loaded;

function generationOf(url: string | undefined): string | null {
  if (!url) return null;
  const q = url.indexOf('?');
  if (q < 0) return null;
  return new URLSearchParams(url.slice(q + 1)).get('sluice-gen');
}

/** `sluice` and `sluice/modules`: this installation's API, wherever the script lives. */
function ownURL(specifier: string): Resolved | null {
  if (specifier === 'sluice') return { url: apiURL, format: 'module', shortCircuit: true };
  if (specifier === 'sluice/modules') return { url: modulesURL, format: 'module', shortCircuit: true };
  return null;
}

const isBare = (specifier: string) => !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');

/** The script's own files inherit the generation of the file importing them. */
function withGeneration(result: Resolved, parentURL: string | undefined): Resolved {
  const gen = generationOf(parentURL);
  const url = result.url;
  if (gen && url.startsWith('file:') && !url.includes('/node_modules/') && !url.startsWith(distRoot) && !url.includes('?')) {
    return { ...result, url: `${url}?${GEN}${gen}` };
  }
  return result;
}

/** The stripped source of a `.ts` file, or null for anything else. */
function typeScriptSource(url: string): string | null {
  const path = url.split('?')[0]!;
  if (!url.startsWith('file:') || !(path.endsWith('.ts') || path.endsWith('.mts'))) return null;
  const file = fileURLToPath(path);
  return stripFile(file, readFileSync(file, 'utf8'));
}

export const syncHooks = {
  resolve(specifier: string, context: ResolveContext, next: NextResolveSync): Resolved {
    const own = ownURL(specifier);
    if (own) return own;
    let result;
    try {
      result = next(specifier, context);
    } catch (err) {
      if (!isBare(specifier)) throw err;
      result = next(specifier, { ...context, parentURL: packageRoot });
    }
    return withGeneration(result, context.parentURL);
  },
  load(url: string, context: LoadContext, next: NextLoadSync): Loaded {
    const source = typeScriptSource(url);
    // Our own stripping (not Node 24's built-in handling of .ts) keeps one behaviour and one
    // error format on every Node, and keeps the stripper out of this isolate.
    if (source !== null) return { format: 'module', source, shortCircuit: true };
    return next(url, context);
  },
};

// ---- module.register (hooks thread) ----

/** The loader tells the hooks thread when a load is over, so stripped sources can go. */
export function initialize(data: { port?: MessagePort } | undefined): void {
  const port = data?.port;
  if (!port) return;
  port.on('message', releaseStripped);
  port.unref();
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<Resolved> {
  const own = ownURL(specifier);
  if (own) return own;
  let result;
  try {
    result = await next(specifier, context);
  } catch (err) {
    if (!isBare(specifier)) throw err;
    result = await next(specifier, { ...context, parentURL: packageRoot });
  }
  return withGeneration(result, context.parentURL);
}

export async function load(url: string, context: LoadContext, next: NextLoad): Promise<Loaded> {
  const source = typeScriptSource(url);
  if (source !== null) return { format: 'module', source, shortCircuit: true };
  return next(url, context);
}
