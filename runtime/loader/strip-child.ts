// Type stripping in a short-lived child process, for the in-thread module hooks (hooks.ts).
//
// The stripper is SWC compiled to wasm (amaro, or the same thing built into Node 22.13+ as
// module.stripTypeScriptTypes). Once used, its instance and its compiler's malloc'd memory
// stay with the process: measured 13-20 MB of RSS for good, to strip a few files at load time.
// A worker thread that exits gives back only part of it (glibc keeps the freed arenas: 8-20
// MB stayed). A child process gives back all of it. One child strips the file asked for and
// every .ts file it imports relatively, recursively, so a load usually takes one child.
//
// The loader strips ahead without blocking (prestrip); a hook that finds a file not stripped
// yet strips it with spawnSync, since module.registerHooks' hooks are synchronous.

import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripTypes } from './strip.ts';
import { CHILD_TIMEOUT_MS, childArgs, childEnv, runChild } from './child.ts';

interface Request { file: string; source: string }
type Stripped = { file: string; source: string; code: string } | { file: string; source: string; error: string };

const childScript = fileURLToPath(import.meta.url);
const CHILD_FLAG = '--sluice-strip-child';
// A script with more files than this strips them in more than one child.
const MAX_FILES = 256;

// What the last child stripped; cleared when a load is over.
let cache = new Map<string, Stripped>();

/** Strips `source` (the text of `file`); a syntax error throws as stripTypes throws it. */
export function stripFile(file: string, source: string): string {
  let got = cache.get(file);
  if (!got || got.source !== source) {
    cache = stripInChild({ file, source });
    got = cache.get(file)!;
  }
  if ('error' in got) throw new SyntaxError(got.error);
  return got.code;
}

/** Forgets what was stripped: a load is over. */
export function releaseStripped(): void {
  cache = new Map();
}

/**
 * Strips `file` and the .ts files it imports ahead of the load, without blocking this thread,
 * so that the synchronous hooks (which run on the thread serving traffic) find them ready: a
 * reload does not stall the connections being served for the child's ~0.1-0.3 s.
 */
export async function prestrip(file: string): Promise<void> {
  // A failure is not reported here: the hooks strip again, synchronously, and report it.
  try {
    // Read synchronously: fs/promises would start libuv's thread pool (4 threads) for it.
    const source = readFileSync(file, 'utf8');
    const r = await runChild(childScript, CHILD_FLAG, { file, source } satisfies Request);
    cache = parseReply(r.status, r.signal, r.out, r.err, file);
  } catch { /* see above */ }
}

function stripInChild(req: Request): Map<string, Stripped> {
  const r = spawnSync(process.execPath, childArgs(childScript, CHILD_FLAG), {
    env: childEnv(),
    input: JSON.stringify(req),
    maxBuffer: 1 << 30,
    timeout: CHILD_TIMEOUT_MS,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  // No child (a process limit, a seccomp policy) or a hung one: strip here; it costs memory, not a load.
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ENOBUFS') return stripHere(req);
  if (r.error) throw new Error(`type stripping ${req.file} failed: ${r.error.message}`);
  return parseReply(r.status, r.signal, r.stdout.toString('utf8'), r.stderr.toString('utf8'), req.file);
}

function stripHere(req: Request): Map<string, Stripped> {
  try {
    return new Map([[req.file, { ...req, code: stripTypes(req.source, req.file) }]]);
  } catch (err) {
    return new Map([[req.file, { ...req, error: (err as Error).message }]]);
  }
}

function parseReply(status: number | null, signal: string | null, out: string, err: string, file: string): Map<string, Stripped> {
  if (status !== 0 || !out.startsWith('[')) {
    throw new Error(`type stripping ${file} failed: ${err.trim() || `exit status ${status ?? signal}`}`);
  }
  const map = new Map<string, Stripped>();
  for (const s of JSON.parse(out) as Stripped[]) map.set(s.file, s);
  return map;
}

// ---- the child ----

// Relative imports of .ts files in stripped code: `from './x.ts'`, `import './x.ts'`,
// `import('./x.ts')`. A miss only costs another child; a false hit only a wasted strip.
const RELATIVE_TS = /\b(?:from|import)\s*\(?\s*(['"])(\.{1,2}\/[^'"\n]+?\.m?ts)\1/g;

function serveChild(): void {
  const req = JSON.parse(readFileSync(0, 'utf8')) as Request;
  const done: Stripped[] = [];
  const seen = new Set([req.file]);
  const queue: Request[] = [req];
  for (let next = queue.shift(); next && done.length < MAX_FILES; next = queue.shift()) {
    const { file, source } = next;
    let code;
    try {
      code = stripTypes(source, file);
    } catch (err) {
      done.push({ file, source, error: (err as Error).message });
      continue;
    }
    done.push({ file, source, code });
    for (const m of code.matchAll(RELATIVE_TS)) {
      const dep = resolvePath(dirname(file), m[2]!);
      if (seen.has(dep)) continue;
      seen.add(dep);
      try {
        if (statSync(dep).isFile()) queue.push({ file: dep, source: readFileSync(dep, 'utf8') });
      } catch { /* not there: the import fails at load, with Node's message */ }
    }
  }
  process.stdout.write(JSON.stringify(done));
}

if (process.argv[2] === CHILD_FLAG && process.argv[1] === childScript) serveChild();
