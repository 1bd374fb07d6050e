// Importing a module file a script names at run time (a gateway PipelineModule, a plugin from
// a config), the way scripts themselves are imported: types stripped, `sluice` resolved, and
// on Node without in-thread hooks, through the mirror of the load in progress.

import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unmirror } from '../engine/script-paths.ts';
import { currentGeneration, loadMode, registerHooks } from './load-script.ts';
import { mirrorScript, mirrorsFile } from './mirror.ts';

// The namespace of each file as last imported, with the mtime it had then.
const imported = new Map<string, { mtime: number; ns: Promise<unknown> }>();

/**
 * Imports the module at `path` (a .ts or .js file). It is evaluated again only when the file
 * has changed since it was last imported (a reload picks up an edit, and only an edit).
 * An error names the file as the user wrote it.
 */
export function importModule(path: string): Promise<unknown> {
  const file = resolvePath(path);
  let mtime: number;
  try {
    mtime = statSync(file).mtimeMs;
  } catch (err) {
    return Promise.reject(err);
  }
  const known = imported.get(file);
  if (known && known.mtime === mtime) return known.ns;
  const ns = importFresh(file, mtime);
  imported.set(file, { mtime, ns });
  ns.catch(() => {
    if (imported.get(file)?.ns === ns) imported.delete(file);
  });
  return ns;
}

async function importFresh(file: string, mtime: number): Promise<unknown> {
  try {
    // The mtime makes the URL new when the file is (the module cache would answer otherwise).
    if (loadMode === 'hooks' || !mirrorsFile(file)) {
      if (loadMode === 'hooks') registerHooks();
      return await import(`${pathToFileURL(file).href}?mtime=${mtime}`);
    }
    return await import(`${await mirrorScript(file, currentGeneration())}?mtime=${mtime}`);
  } catch (err) {
    if (err instanceof Error) err.message = unmirror(err.message);
    throw err;
  }
}
