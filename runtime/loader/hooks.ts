// Module hooks for user scripts:
//  - `import ... from 'sluice'` resolves to the scripting API of this installation, wherever
//    the script lives;
//  - bare imports a script's own folder cannot resolve (`yaml`) fall back to Sluice's own
//    dependencies;
//  - `.ts` files are type-stripped, in a child process (strip-child.ts);
//  - a reload imports the script with `?sluice-gen=N`, and every relative import inherits the
//    generation, so the whole script graph is evaluated afresh while Sluice itself is not.
//
// These are for module.registerHooks (Node 22.15+, 23.5+), which runs them in this thread.
// Where Node has only module.register, whose hooks run on a thread of their own (an isolate of
// ~11 MB for as long as the process lives, whose garbage collections then compete with the
// thread serving traffic), the loader runs a stripped mirror of the script instead (mirror.ts),
// with the same behaviour.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stripFile } from './strip-child.ts';
import { distRoot, ownURL as ownSpecifier, packageRoot } from './locations.ts';

const GEN = 'sluice-gen=';

interface ResolveContext { parentURL?: string; conditions: string[]; importAttributes?: object }
interface Resolved { url: string; format?: string | null; shortCircuit?: boolean }
interface LoadContext { format?: string | null; conditions: string[]; importAttributes?: object }
interface Loaded { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean }
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
  const url = ownSpecifier(specifier);
  return url === null ? null : { url, format: 'module', shortCircuit: true };
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
