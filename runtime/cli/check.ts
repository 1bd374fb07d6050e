// `sluice check script.ts`: type-checks a script (and what it imports) against the
// scripting API's declarations, with the compiler options scripts are written for.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { scriptFile } from '../loader/load-script.ts';

const require = createRequire(import.meta.url);
const apiTypes = join(dirname(fileURLToPath(import.meta.url)), '../../pipelines/api/index.d.ts');
const modulesTypes = join(dirname(fileURLToPath(import.meta.url)), '../../pipelines/modules/index.d.ts');

export async function checkScript(args: string[]): Promise<number> {
  if (args.length === 0) {
    process.stderr.write('usage: sluice check <script.ts | dir>...\n');
    return 2;
  }
  const ts = require('typescript') as typeof import('typescript');
  // Several scripts are checked in one compiler program (one start-up, shared API types).
  const files = args.map((a) => scriptFile(a));
  const options: import('typescript').CompilerOptions = {
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(dirname(fileURLToPath(import.meta.url)), '../../../node_modules/@types')],
    paths: { sluice: [apiTypes], 'sluice/modules': [modulesTypes] },
  };
  const program = ts.createProgram(files, options);
  const diags = ts.getPreEmitDiagnostics(program);
  const host: import('typescript').FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  };
  if (diags.length) {
    // Plain `file(line,col): error TSnnnn` lines when not on a terminal (CI logs, editors).
    process.stderr.write(process.stderr.isTTY ? ts.formatDiagnosticsWithColorAndContext(diags, host) : ts.formatDiagnostics(diags, host));
    process.stderr.write(`\n${diags.length} error${diags.length > 1 ? 's' : ''} in ${files.join(', ')}\n`);
    return 1;
  }
  for (const file of files) process.stdout.write(`${file}: ok\n`);
  return 0;
}
