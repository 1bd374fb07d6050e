// Type stripping for user scripts: Node's own stripper where this Node has it (22.13+),
// otherwise amaro (the same SWC-based stripper, from npm). Both replace types with spaces,
// so line and column numbers in stack traces are the source's.

import module from 'node:module';
import { createRequire } from 'node:module';

type Strip = (code: string) => string;

const builtin = (module as unknown as { stripTypeScriptTypes?: (code: string, opts?: object) => string }).stripTypeScriptTypes;

let strip: Strip;
if (typeof builtin === 'function') {
  strip = (code) => builtin(code, { mode: 'strip' });
} else {
  const require = createRequire(import.meta.url);
  const amaro = require('amaro') as { transformSync(code: string, opts: object): { code: string } };
  strip = (code) => amaro.transformSync(code, { mode: 'strip-only' }).code;
}

export const stripperName = typeof builtin === 'function' ? 'node:module.stripTypeScriptTypes' : 'amaro';

export function stripTypes(code: string): string {
  return strip(code);
}
