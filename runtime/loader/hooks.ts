// Module hooks for user scripts (registered with module.register, run on the loader thread):
//  - `import ... from 'sluice'` resolves to the scripting API of this installation, wherever
//    the script lives;
//  - bare imports a script's own folder cannot resolve (`yaml`) fall back to Sluice's own
//    dependencies;
//  - `.ts` files are type-stripped;
//  - a reload imports the script with `?sluice-gen=N`, and every relative import inherits the
//    generation, so the whole script graph is evaluated afresh while Sluice itself is not.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stripTypes } from './strip.ts';

const apiURL = new URL('../../pipelines/api/index.js', import.meta.url).href;
const modulesURL = new URL('../../pipelines/modules/index.js', import.meta.url).href;
const distRoot = new URL('../../', import.meta.url).href; // this build (dist/)
const packageRoot = new URL('../', distRoot).href; // the folder holding it
const GEN = 'sluice-gen=';

interface ResolveContext { parentURL?: string; conditions: string[]; importAttributes?: object }
type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => Promise<{ url: string; format?: string | null; shortCircuit?: boolean }>;
interface LoadContext { format?: string | null; conditions: string[]; importAttributes?: object }
type NextLoad = (url: string, context?: Partial<LoadContext>) => Promise<{ format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean }>;

function generationOf(url: string | undefined): string | null {
  if (!url) return null;
  const q = url.indexOf('?');
  if (q < 0) return null;
  const m = new URLSearchParams(url.slice(q + 1)).get('sluice-gen');
  return m;
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve) {
  if (specifier === 'sluice') return { url: apiURL, format: 'module', shortCircuit: true };
  if (specifier === 'sluice/modules') return { url: modulesURL, format: 'module', shortCircuit: true };
  let result;
  try {
    result = await next(specifier, context);
  } catch (err) {
    const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
    if (!bare) throw err;
    result = await next(specifier, { ...context, parentURL: packageRoot });
  }
  const gen = generationOf(context.parentURL);
  const url = result.url;
  if (gen && url.startsWith('file:') && !url.includes('/node_modules/') && !url.startsWith(distRoot) && !url.includes('?')) {
    return { ...result, url: `${url}?${GEN}${gen}` };
  }
  return result;
}

export async function load(url: string, context: LoadContext, next: NextLoad) {
  const path = url.split('?')[0]!;
  if (url.startsWith('file:') && (path.endsWith('.ts') || path.endsWith('.mts'))) {
    const source = await readFile(new URL(path), 'utf8');
    return { format: 'module', source: stripTypes(source, fileURLToPath(path)), shortCircuit: true };
  }
  return next(url, context);
}
