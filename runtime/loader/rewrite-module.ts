// Rewrites one ES module's import specifiers and its `import.meta`, for a script's mirror
// (mirror.ts). It works on the syntax tree (TypeScript's parser, in JS mode), so text that
// only looks like an import (in a string, a comment, a template or a regular expression) is
// left alone.
//
// Line numbers never change. `import.meta` becomes an identifier of the same length, so
// columns do not change either; a rewritten specifier moves the rest of its own line only.

import type * as TS from 'typescript';

/** The identifier standing for `import.meta` in a mirrored module (as long as `import.meta`). */
export const META_NAME = '$sluiceMeta';

/** The new specifier for `specifier`, or null to keep it. */
export type SpecifierMap = (specifier: string) => string | null;

export interface Rewritten {
  code: string;
  /** The module used `import.meta`: it must import META_NAME (see metaImport). */
  usesMeta: boolean;
}

interface Edit { start: number; end: number; text: string }

export function rewriteModule(ts: typeof TS, code: string, fileName: string, map: SpecifierMap): Rewritten {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  let usesMeta = false;

  const specifier = (lit: TS.Node | undefined) => {
    if (!lit || !(ts.isStringLiteral(lit) || ts.isNoSubstitutionTemplateLiteral(lit))) return;
    const next = map(lit.text);
    if (next !== null && next !== lit.text) edits.push({ start: lit.getStart(sf), end: lit.end, text: JSON.stringify(next) });
  };

  const visit = (node: TS.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      specifier(node.moduleSpecifier);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      specifier(node.arguments[0]);
    } else if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword && node.name.text === 'meta') {
      usesMeta = true;
      const start = node.getStart(sf);
      // `import.meta` may be spelt with spaces, comments or newlines inside: pad with spaces
      // on one line, keep the newlines over several.
      const spelt = code.slice(start, node.end);
      const newlines = spelt.split('\n').length - 1;
      const tail = newlines > 0 ? '\n'.repeat(newlines) : ' '.repeat(spelt.length - META_NAME.length);
      edits.push({ start, end: node.end, text: META_NAME + tail });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);

  if (edits.length === 0) return { code, usesMeta };
  edits.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let at = 0;
  for (const e of edits) {
    parts.push(code.slice(at, e.start), e.text);
    at = e.end;
  }
  parts.push(code.slice(at));
  return { code: parts.join(''), usesMeta };
}

/** The declaration a module using META_NAME ends with (imports are hoisted, so the end will do). */
export function metaImport(metaURL: string): string {
  return `\nimport ${META_NAME} from ${JSON.stringify(metaURL)};\n`;
}

/**
 * The module META_NAME comes from: what `import.meta` would be in the original file. `resolve`
 * answers as Node would from the original folder (the mirror links that folder's node_modules).
 */
export function metaModule(originalURL: string, originalPath: string, originalDir: string, own: Record<string, string>): string {
  return `const url = ${JSON.stringify(originalURL)};
const own = new Map(Object.entries(${JSON.stringify(own)}));
export default {
  url,
  filename: ${JSON.stringify(originalPath)},
  dirname: ${JSON.stringify(originalDir)},
  resolve(specifier) {
    specifier = String(specifier);
    if (own.has(specifier)) return own.get(specifier);
    if (/^\\.{0,2}\\//.test(specifier)) return new URL(specifier, url).href;
    return import.meta.resolve(specifier);
  },
};
`;
}
