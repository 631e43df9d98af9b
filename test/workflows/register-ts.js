/**
 * `node -r ./test/workflows/register-ts.js src/worker.ts`: runs the TypeScript sources in a plain node
 * process (transpile only; jest and tsc do the type checking). The crash test needs the worker in a
 * separate process it can SIGKILL, and scripts/record-histories.sh runs its TypeScript this way.
 */
const { readFileSync } = require('node:fs');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  resolveJsonModule: true,
  sourceMap: false,
  inlineSourceMap: true,
};

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
