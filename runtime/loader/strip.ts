// Type stripping for user scripts: Node's own stripper where this Node has it (22.13+),
// otherwise amaro (the same SWC-based stripper, from npm). Both replace types with spaces,
// so line and column numbers in stack traces are the source's.

import module from 'node:module';
import { createRequire } from 'node:module';

type Strip = (code: string) => string;

const builtin = (module as unknown as { stripTypeScriptTypes?: (code: string, opts?: object) => string }).stripTypeScriptTypes;

export const stripperName = typeof builtin === 'function' ? 'node:module.stripTypeScriptTypes' : 'amaro';

// amaro is required on first use, not at import: its wasm instance costs 13-20 MB of RSS, and
// only the short-lived strip child (strip-child.ts) should ever hold it.
let strip: Strip | null = null;

function stripper(): Strip {
  if (strip) return strip;
  if (typeof builtin === 'function') {
    strip = (code) => builtin(code, { mode: 'strip' });
  } else {
    const require = createRequire(import.meta.url);
    const amaro = require('amaro') as { transformSync(code: string, opts: object): { code: string } };
    strip = (code) => amaro.transformSync(code, { mode: 'strip-only' }).code;
  }
  return strip;
}

/**
 * Strips types; a syntax error comes back as a SyntaxError whose message starts with
 * `file:line:col: ` (amaro reports the position in fields, Node's stripper in its text), so
 * the loader can say where the script is broken.
 */
export function stripTypes(code: string, file = '<script>'): string {
  try {
    return stripper()(code);
  } catch (err) {
    const e = err as { message?: string; stack?: string; startLine?: number; startColumn?: number };
    const message = String(e.message ?? err);
    let line = e.startLine;
    let col = e.startColumn;
    if (line === undefined) {
      const m = /\[(\d+):(\d+)\]/.exec(message);
      if (m) [line, col] = [Number(m[1]), Number(m[2])];
    }
    if (line === undefined) {
      // Node 22.13+/24 (ERR_INVALID_TYPESCRIPT_SYNTAX) puts the line first in the stack: ':2'.
      const m = /^[^\n]*?:(\d+)\s*$/m.exec(e.stack ?? '');
      if (m) line = Number(m[1]);
    }
    const first = message.split('\n').find((l) => l.trim() !== '')?.replace(/^\s*x\s+/, '').trim() ?? message;
    throw new SyntaxError(line !== undefined ? `${file}:${line}:${col ?? 0}: ${first}` : `${file}: ${first}`);
  }
}
