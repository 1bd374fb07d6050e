// Loading scripts without module hooks, for Node without module.registerHooks (before 22.15).
//
// module.register would run our hooks on a thread of its own for as long as the process lives:
// an isolate of ~11 MB of RSS, whose garbage collections (with V8's helper threads) then run on
// the CPU the proxy is serving from. Instead, a child process builds a mirror of the script:
// its files stripped of types, with `sluice` imports pointing at this build and relative ones
// at the other copies, under <root>/g<generation>/<original path>.mjs in a private temporary
// folder; Node imports the copy as plain ES modules.
//
// What the user sees stays the same as with hooks: `import.meta` is the original file's, bare
// imports resolve from the original folder (its node_modules folders are linked into the
// mirror) and then from Sluice's own dependencies, every reload evaluates the script's files
// afresh, and stacks and errors name the original files (engine/script-paths.ts).

import { createRequire } from 'node:module';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { addMirrorRoot } from '../engine/script-paths.ts';
import { runChild } from './child.ts';
import { distRoot, ownSpecifiers } from './locations.ts';
import { MIRROR_CHILD_FLAG, MIRRORED_EXTENSIONS, mirrorChildScript, type MirrorReply, type MirrorRequest } from './mirror-child.ts';

const PREFIX = 'sluice-scripts-';
const STALE = new RegExp(`^${PREFIX}(\\d+)-`);
let root: string | null = null;
const live: number[] = [];

/** The folder the mirrors of this thread live in: made on first use, removed at exit. */
function mirrorRoot(): string {
  if (root !== null) return root;
  removeStale();
  const top = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  process.once('exit', () => rmSync(top, { recursive: true, force: true }));
  // Sluice's own dependencies (yaml, ...) answer the bare imports a script's folders do not:
  // Node looks in <top>/m/node_modules, then <top>/node_modules, after the script's own.
  const [first, second] = dependencyFolders();
  const m = join(top, 'm');
  mkdirSync(m); // inside `top`, which mkdtemp made private (0700)
  if (first) symlinkSync(first, join(m, 'node_modules'));
  if (second) symlinkSync(second, join(top, 'node_modules'));
  addMirrorRoot(m);
  root = m;
  return m;
}

/** Where Sluice's own bare imports resolve from (its node_modules, then a hoisting parent's). */
function dependencyFolders(): string[] {
  const dist = fileURLToPath(distRoot);
  const paths = createRequire(import.meta.url).resolve.paths('yaml') ?? [];
  return paths.filter((p) => !p.startsWith(dist) && existsSync(p)).slice(0, 2);
}

/** Mirrors left by Sluice processes that died without cleaning up (SIGKILL, a crash). */
function removeStale(): void {
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = STALE.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    const path = join(tmpdir(), name);
    try {
      if (uid !== undefined && lstatSync(path).uid !== uid) continue;
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path, { recursive: true, force: true });
    }
  }
}

/** Whether a script file of this type runs from a mirror (else it is imported where it is). */
export const mirrorsFile = (file: string): boolean => MIRRORED_EXTENSIONS.has(extname(file));

const keep = [fileURLToPath(distRoot)];

/**
 * Builds generation `gen` of the script's mirror and returns the URL to import. A syntax error
 * throws a SyntaxError whose message starts with `file:line:col: ` (as the type stripper's).
 */
export async function mirrorScript(file: string, gen: number): Promise<string> {
  const out = join(mirrorRoot(), `g${gen}`);
  const request: MirrorRequest = { file, out, own: ownSpecifiers, keep, gen };
  const r = await runChild(mirrorChildScript, MIRROR_CHILD_FLAG, request);
  let reply: MirrorReply | null = null;
  try {
    reply = r.status === 0 ? (JSON.parse(r.out) as MirrorReply) : null;
  } catch { /* below */ }
  // A failure leaves the generation's folder to mirrorSettled: other files of the same load
  // (importModule) may be in it.
  if (reply === null) throw new Error(`preparing ${file} failed: ${r.err.trim() || `exit status ${r.status ?? r.signal}`}`);
  if ('error' in reply) throw /^\/[^\n]*?:\d+:\d+: /.test(reply.error) ? new SyntaxError(reply.error) : new Error(reply.error);
  return pathToFileURL(reply.entry).href;
}

/**
 * A load of generation `gen` is over. A failed one's copies go at once; after a good one, the
 * copies older than the generation it replaces go (the replaced one stays while its
 * connections drain, in case its code imports lazily).
 */
export function mirrorSettled(gen: number, ok: boolean): void {
  if (root === null) return;
  if (!ok) {
    rmSync(join(root, `g${gen}`), { recursive: true, force: true });
    return;
  }
  live.push(gen);
  while (live.length > 2) rmSync(join(root, `g${live.shift()}`), { recursive: true, force: true });
}
