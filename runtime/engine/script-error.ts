import { fileURLToPath } from 'node:url';
import { log } from './log.ts';
import { unmirror } from './script-paths.ts';

// Where in the user's script an exception came from. Scripts are loaded with types stripped
// in place (whitespace-preserving), so V8's line:column are the source's own; where they run
// from a mirror (loader/mirror.ts), the copy's path maps back to the original.

const runtimeRoot = new URL('../../', import.meta.url).href; // dist/ (or the source tree)

export function scriptLocation(err: unknown): string {
  const stack = err instanceof Error && typeof err.stack === 'string' ? unmirror(err.stack) : '';
  for (const line of stack.split('\n')) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    let file = m[1]!;
    const url = file.startsWith('file://') ? file : 'file://' + file;
    if (url.startsWith(runtimeRoot) && !url.includes('/examples/')) continue; // our own frames
    if (url.includes('/node_modules/') || url.startsWith('node:')) continue;
    try { file = fileURLToPath(url.split('?')[0]!); } catch { /* keep as is */ }
    return `${file}:${m[2]}:${m[3]}`;
  }
  return '<unknown location>';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Logs an exception thrown by a script callback; the caller turns it into a RuntimeError. */
export function reportScriptError(where: string, err: unknown): string {
  const msg = `${where}: ${messageOf(err)} (at ${scriptLocation(err)})`;
  log.error(msg);
  return msg;
}
