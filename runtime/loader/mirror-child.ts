// The child process that builds a script's mirror (see mirror.ts): it strips each file of the
// script, rewrites its imports to the other copies, and writes the copies under the mirror
// folder of one generation. Stripping (SWC as wasm) and parsing (TypeScript) stay in here.

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as TS from 'typescript';
import { stripTypes } from './strip.ts';
import { metaImport, metaModule, rewriteModule } from './rewrite-module.ts';

export interface MirrorRequest {
  /** The script's entry file (absolute). */
  file: string;
  /** This generation's mirror folder: a copy of /a/b.ts is <out>/a/b.ts.mjs. */
  out: string;
  /** What `sluice` and `sluice/modules` import (URLs of this build). */
  own: Record<string, string>;
  /** Folders whose files are imported where they are, never copied (this Sluice build). */
  keep: string[];
  /** The load's generation: the script's own files that are not copied (JSON) carry it. */
  gen: number;
}
export type MirrorReply = { entry: string } | { error: string };

export const MIRROR_CHILD_FLAG = '--sluice-mirror-child';
export const mirrorChildScript = fileURLToPath(import.meta.url);
// A script graph larger than this is refused rather than copied without end.
const MAX_FILES = 2048;

/**
 * The file extensions a mirror copies (a .js file only where package.json makes it a module);
 * anything else (.cjs, .json) is imported where it is.
 */
export const MIRRORED_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.js', '.mjs']);

/** The copy of `file` in the mirror `out`. */
export const copyPath = (out: string, file: string): string => join(out, file) + '.mjs';

const isRelativeOrAbsolute = (s: string) => s.startsWith('./') || s.startsWith('../') || s.startsWith('/') || s.startsWith('file:');

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The package.json `type` that rules a .js file: Node's rule for what a .js file is. */
function isModuleScope(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (isFile(pj)) {
      try {
        return (JSON.parse(readFileSync(pj, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dir === dirname(dir) || dir.endsWith('/node_modules')) return false;
  }
}

export function buildMirror(req: MirrorRequest): string {
  const ts = createRequire(import.meta.url)('typescript') as typeof TS;
  const ours = (file: string) => !file.includes('/node_modules/') && !req.keep.some((k) => file.startsWith(k));
  const copied = (file: string) => {
    if (!ours(file) || !isFile(file)) return false;
    const ext = extname(file);
    if (!MIRRORED_EXTENSIONS.has(ext)) return false;
    return ext !== '.js' || isModuleScope(file);
  };
  const queue = [req.file];
  const seen = new Set(queue);
  const linked = new Set<string>();

  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const source = readFileSync(file, 'utf8');
    const ext = extname(file);
    const code = ext === '.ts' || ext === '.mts' ? stripTypes(source, file) : source;
    const fileURL = pathToFileURL(file);
    const rewritten = rewriteModule(ts, code, file, (specifier) => {
      if (Object.hasOwn(req.own, specifier)) return req.own[specifier]!;
      if (!isRelativeOrAbsolute(specifier)) return null; // bare or node:, resolved by Node from the mirror
      const url = new URL(specifier, fileURL);
      if (url.protocol !== 'file:') return null;
      const target = fileURLToPath(url);
      if (!copied(target)) {
        // Imported where it is; the script's own (a JSON file) afresh on every load, as with hooks.
        if (ours(target)) url.searchParams.set('sluice-gen', String(req.gen));
        return url.href;
      }
      if (!seen.has(target)) {
        if (seen.size >= MAX_FILES) throw new Error(`${file}: the script imports more than ${MAX_FILES} files`);
        seen.add(target);
        queue.push(target);
      }
      return pathToFileURL(copyPath(req.out, target)).href + url.search + url.hash;
    });
    const copy = copyPath(req.out, file);
    mkdirSync(dirname(copy), { recursive: true });
    let text = rewritten.code;
    if (rewritten.usesMeta) {
      const meta = copy.replace(/\.mjs$/, '.meta.mjs');
      writeAtomically(meta, metaModule(fileURL.href, file, dirname(file), req.own));
      text += metaImport(pathToFileURL(meta).href);
    }
    writeAtomically(copy, text);
    linkNodeModules(req.out, dirname(file), linked);
  }
  return copyPath(req.out, req.file);
}

/** Another load importing the same copy (importModule) reads the old text or the new, never half. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Bare imports resolve from the copy as from the original: every node_modules folder above
 * the original is linked at the same place above the copy (Node follows the links to the
 * packages' real paths, so a package is the same module instance as anywhere else).
 */
function linkNodeModules(out: string, dir: string, linked: Set<string>): void {
  for (let d = dir; !linked.has(d); d = dirname(d)) {
    linked.add(d);
    const nm = join(d, 'node_modules');
    if (existsSync(nm)) {
      mkdirSync(join(out, d), { recursive: true });
      try {
        symlinkSync(nm, join(out, d, 'node_modules'));
      } catch (err) {
        // Linked already by another file of the same load (importModule): the same link.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    if (d === dirname(d)) break;
  }
}

function serve(): void {
  let reply: MirrorReply;
  try {
    reply = { entry: buildMirror(JSON.parse(readFileSync(0, 'utf8')) as MirrorRequest) };
  } catch (err) {
    reply = { error: (err as Error).message };
  }
  process.stdout.write(JSON.stringify(reply));
}

if (process.argv[2] === MIRROR_CHILD_FLAG && process.argv[1] === mirrorChildScript) serve();
