/**
 * `node -r ./test/workflows/register-ts.js src/worker.ts`: runs the TypeScript sources in a plain node
 * process (transpile only; jest and tsc do the type checking). The crash test needs the worker in a
 * separate process it can SIGKILL, and scripts/record-histories.sh runs its TypeScript this way.
 * swc, not the TypeScript compiler: a worker process loads its sources in a quarter of the CPU time.
 */
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

const options = (filename) => ({
  filename,
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
});

require.extensions['.ts'] = (module, filename) => {
  module._compile(transformSync(readFileSync(filename, 'utf8'), options(filename)).code, filename);
};
